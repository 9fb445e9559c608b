"""Raw loading: files, split folders, `save_to_disk` folders and Hub ids into a `DatasetDict`.

Files go through the `datasets` builders (CSV, JSON, Parquet) or the CoNLL reader, so the data
stays Arrow-backed, memory-mapped and cached by fingerprint; a workbook's sheet (`workbooks`) is read
into memory, as a workbook is a few hundred thousand rows at most, and a workbook whose sheets are
named train / validation / test gives those splits. Columns are kept exactly as they are
in the source; only the split names are normalised to train / validation / test. A text file that
is not UTF-8 is read through its UTF-8 copy (`charsets`); a column named twice is refused, and so is
a file a builder cannot read, in a sentence of our own (`problems`).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import threading
from pathlib import Path

import datasets
import pyarrow.parquet as pq

from workbench.core.data.charsets import TextFile, as_utf8
from workbench.core.data.conll import DOCSTART, looks_like_conll, read_conll
from workbench.core.data.problems import FORMAT_HINTS as _FORMAT_HINTS
from workbench.core.data.problems import problem as _problem
from workbench.core.data.squad import looks_like_squad, read_squad
from workbench.core.data.workbooks import SheetRead, read_table, read_workbook
from workbench.core.errors import WorkbenchError
from workbench.core.filetypes import DATA_EXTENSIONS as EXTENSIONS
from workbench.core.hub import ensure_hub_reachable, hub_offline_error, is_hub_id

_SAMPLE_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
_JSON_FIELD = re.compile(r'^\s*\{\s*"([^"]+)"\s*:\s*\[')
log = logging.getLogger(__name__)


def split_name(name: str) -> str | None:
    """train / validation / test for a split or file stem that starts with a known name, else None."""
    name = name.lower()
    for prefix, split in (("train", "train"), ("valid", "validation"), ("dev", "validation"),
                          ("val", "validation"), ("test", "test")):
        if name.startswith(prefix):
            return split
    return None


class RawData(datasets.DatasetDict):
    """The source's splits, the text encoding each of their files was read in, and for workbooks the
    sheet each split was read from."""

    def __init__(self, splits: dict[str, datasets.Dataset], encodings: dict[str, dict[str, str]] | None = None,
                 sheets: dict[str, SheetRead] | None = None, notes: list[str] | None = None):
        super().__init__(splits)
        self.encodings = encodings or {}  # split -> {file path -> "UTF-8", "UTF-16", "Windows-1252", ...}
        self.sheets = sheets or {}  # split -> the workbook sheet it was read from (one workbook file per split)
        self.notes = notes or []  # sentences on cells read as empty (a workbook's #N/A and other errors)

    def sheet_notes(self) -> list[str]:
        """Which sheets were read, for a workbook that has other sheets too, one sentence per workbook."""
        by_file: dict[str, list[tuple[str, SheetRead]]] = {}
        for split, read in self.sheets.items():
            by_file.setdefault(read.path, []).append((split, read))
        notes = []
        for path, reads in by_file.items():
            sheets = reads[0][1].sheets
            others = [name for name in sheets if name not in {read.sheet for _, read in reads}]
            if len(reads) > 1:
                shown = ", ".join(f"'{read.sheet}' as the {split} split" for split, read in reads)
                rest = f"; it also has {_sheet_list(others)}, not read" if others else ""
                notes.append(f"Read the sheets of {path} as splits: {shown}{rest}.")
            elif others:
                notes.append(f"Read the sheet '{reads[0][1].sheet}' of {path}; it also has {_sheet_list(others)} "
                             "(data.sheet names the sheet to read).")
        return notes

    def sheet_of(self, split: str) -> str | None:
        """The workbook sheet the split was read from, if it was."""
        read = self.sheets.get(split)
        return read.sheet if read else None

    def read_as(self, split: str) -> str:
        """How the split's text files were decoded, e.g. "read as Windows-1252"; "" for Parquet, saved or
        Hub data."""
        files = self.encodings.get(split, {})
        if len(set(files.values())) > 1:
            return "read as " + ", ".join(f"{encoding} ({Path(path).name})" for path, encoding in files.items())
        return f"read as {next(iter(files.values()))}" if files else ""


_LOADING = threading.Lock()


def load_raw(source: str, sheet: str | None = None) -> RawData:
    """The source's columns as they are, in a DatasetDict keyed train / validation / test. `sheet`
    names the sheet of a workbook (of each workbook, in a folder of split files); None: the first.

    One load at a time in a process: the `datasets` builders resolve files through tqdm's
    `thread_map`, which deletes a lock shared by every thread when it ends, so a load on the Data
    page and one for a run pressed meanwhile failed now and then ("tqdm has no attribute '_lock'")."""
    with _LOADING:
        return _load_raw(source, sheet)


def _load_raw(source: str, sheet: str | None) -> RawData:
    path = Path(source).expanduser()
    if path.is_dir():
        return _load_folder(path, sheet)
    if sheet is not None and not (path.is_file() and EXTENSIONS.get(path.suffix.lower()) == "workbook"):
        raise WorkbenchError(f"data.sheet is '{sheet}', but {source} is not a workbook (.xlsx, .xlsm, .xls or .ods); "
                             "clear data.sheet or choose a workbook.")
    if path.is_file():
        if EXTENSIONS.get(path.suffix.lower()) == "workbook":
            return _load_workbook(path, sheet)
        dataset, encodings = _load_files([path], str(path))
        return RawData({"train": dataset}, {"train": encodings} if encodings else {})
    if is_hub_id(source):
        return RawData(_load_hub(source))
    raise WorkbenchError(f"The data source {source} does not exist.")


def _load_workbook(path: Path, sheet: str | None) -> RawData:
    """One sheet as the train split, or, with no sheet named, the sheets named after splits as those splits."""
    _open_file(path)
    tables = read_workbook(path, sheet)
    order = [split for split in ("train", "validation", "test") if split in tables]
    return RawData({split: _dataset(tables[split]) for split in order}, sheets={split: tables[split].read() for split in order},
                   notes=[note for split in order for note in tables[split].notes])


def _load_workbook_files(paths: list[Path], label: str, sheet: str | None) -> tuple[datasets.Dataset, SheetRead | None, list[str]]:
    """One split from workbooks: their sheets' records, one after another (the same columns in each)."""
    tables = [read_table(path, sheet) for path in paths]
    for table in tables[1:]:
        if table.names != tables[0].names:
            raise WorkbenchError(
                f"The files for {label} have different columns: {tables[0].path} has {', '.join(tables[0].names)} and "
                f"{table.path} has {', '.join(table.names)}; give every file of a split the same header."
            )
    dataset = datasets.concatenate_datasets([_dataset(table) for table in tables]) if len(tables) > 1 else _dataset(tables[0])
    return dataset, tables[0].read() if len(tables) == 1 else None, [note for table in tables for note in table.notes]


def _dataset(table) -> datasets.Dataset:
    return datasets.Dataset(table.arrow())


def _sheet_list(names: list[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    if len(quoted) == 1:
        return f"the sheet {quoted[0]}"
    return "the sheets " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _normalise(named: dict[str, datasets.Dataset]) -> datasets.DatasetDict:
    """Known split names mapped to train / validation / test; the first unknown split becomes train
    when there is no train, other unknown splits are dropped."""
    out: dict[str, datasets.Dataset] = {}
    unknown: datasets.Dataset | None = None
    for name, dataset in named.items():
        split = split_name(name)
        if split is None:
            unknown = dataset if unknown is None else unknown
        elif split not in out:
            out[split] = dataset
    if "train" not in out and unknown is not None:
        out["train"] = unknown
    return datasets.DatasetDict({key: out[key] for key in ("train", "validation", "test") if key in out})


def _load_folder(folder: Path, sheet: str | None = None) -> RawData:
    if any((folder / name).exists() for name in ("dataset_dict.json", "state.json")):
        if sheet is not None:
            raise WorkbenchError(f"data.sheet is '{sheet}', but {folder} is a saved dataset folder, not workbooks; "
                                 "clear data.sheet.")
        try:
            loaded = datasets.load_from_disk(str(folder))
        except (OSError, ValueError) as exc:
            raise WorkbenchError(
                f"The saved dataset folder {folder} could not be read (a file in it is missing or damaged); "
                "save the dataset again with save_to_disk."
            ) from exc
        if isinstance(loaded, datasets.Dataset):
            return RawData({"train": loaded})
        normalised = _normalise(dict(loaded))
        if not normalised:
            raise WorkbenchError(f"The saved dataset folder {folder} holds no splits.")
        return RawData(normalised)
    files: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        split = split_name(path.stem)
        if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in EXTENSIONS and split:
            files.setdefault(split, []).append(path)
    if "train" not in files:
        raise WorkbenchError(
            f"The folder {folder} has no training file: name the split files train, validation (or dev) "
            "and test, with an extension such as .csv, .jsonl, .parquet, .xlsx or .conll."
        )
    workbooks = any(EXTENSIONS[path.suffix.lower()] == "workbook" for paths in files.values() for path in paths)
    if sheet is not None and not workbooks:
        raise WorkbenchError(f"data.sheet is '{sheet}', but the split files in {folder} are not workbooks; clear data.sheet.")
    splits, encodings, sheets, notes = {}, {}, {}, []
    for split, paths in sorted(files.items(), key=lambda item: ("train", "validation", "test").index(item[0])):
        label = str(paths[0]) if len(paths) == 1 else f"the {split} files in {folder}"
        if EXTENSIONS[paths[0].suffix.lower()] == "workbook":
            _check_one_format(paths, label)
            splits[split], read, found_notes = _load_workbook_files(paths, label, sheet)
            notes += found_notes
            if read:
                sheets[split] = read
            continue
        splits[split], found = _load_files(paths, label)
        if found:
            encodings[split] = found
    return RawData(splits, encodings, sheets, notes)


def _check_one_format(paths: list[Path], label: str) -> None:
    formats = sorted({EXTENSIONS[path.suffix.lower()] for path in paths})
    if len(formats) > 1:
        raise WorkbenchError(f"The files for {label} mix formats ({', '.join(formats)}); use one format per split.")
    for path in paths:
        _open_file(path)


def _load_files(paths: list[Path], label: str) -> tuple[datasets.Dataset, dict[str, str]]:
    """One split from one or more files of the same format, and the encoding of each text file;
    `label` names the files in messages."""
    opened = [_open_file(path) for path in paths]
    formats = sorted({fmt for fmt, _ in opened})
    if len(formats) > 1:
        raise WorkbenchError(f"The files for {label} mix formats ({', '.join(formats)}); use one format per split.")
    fmt = formats[0]
    texts = [text for _, text in opened if text is not None]
    readable = [text.path for text in texts] or paths
    names = [str(path) for path in readable]
    delimiter = _sniff_delimiter(readable[0]) if fmt == "csv" else None
    try:
        if all(_no_rows(path, fmt) for path in readable):
            raise WorkbenchError(f"{label} has no data rows (only a header, blank lines or an empty list).")
        if fmt == "conll":
            dataset = read_conll(readable, [str(path) for path in paths])
        elif fmt == "squad":
            dataset = read_squad(readable, [str(path) for path in paths])
        elif fmt == "csv":
            for shown, path in zip(paths, readable):
                _check_names(shown, _csv_header(path, delimiter))
            dataset = _builder("csv", names, sep=delimiter)
        elif fmt == "json":
            field = _json_field(readable[0])
            for shown, path in zip(paths, readable):
                _check_names(shown, _json_record_names(path, field))
            dataset = _builder("json", names, **({"field": field} if field else {}))
        else:
            for path in paths:
                _check_names(path, pq.read_schema(path).names)
            dataset = _builder("parquet", names)
    except WorkbenchError:
        raise
    except Exception as exc:  # the builders raise many types, in their own words: find the cause ourselves
        log.info("Reading %s as %s failed", label, fmt, exc_info=True)
        for shown, path in zip(paths, readable):
            problem = _problem(shown, path, fmt, delimiter)
            if problem:
                raise WorkbenchError(problem) from exc
        raise WorkbenchError(
            f"{label} could not be read as {fmt.upper()} (the log has the details); check that it is a "
            f"{_FORMAT_HINTS[fmt]}."
        ) from exc
    return dataset, {str(path): text.encoding for path, text in zip(paths, texts)}


def _check_names(path: Path, names: list[str]) -> None:
    """Raise naming a column that the header has twice, with both (1-based) positions."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise WorkbenchError(
                f"The file {path} has the column '{name}' twice, at positions {seen[name]} and {position}; "
                "rename one of them."
            )
        seen[name] = position


def _csv_header(path: Path, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(_sample(path)), delimiter=delimiter), [])


def _json_record_names(path: Path, field: str | None) -> list[str]:
    """The keys of the file's first record in order, repeats kept (parsers keep only a repeated key's last
    value); [] when the first record does not fit in the sample."""
    sample = _sample(path)
    brace = sample.find("{", _JSON_FIELD.match(sample).end() if field else 0)
    objects: list[list[tuple[str, object]]] = []  # every object decoded, the record (the outermost) last
    if brace < 0:
        return []
    try:
        json.JSONDecoder(object_pairs_hook=lambda pairs: objects.append(pairs) or dict(pairs)).raw_decode(sample, brace)
    except ValueError:
        return []
    return [key for key, _ in objects[-1]]


def _no_rows(path: Path, fmt: str) -> bool:
    """Whether a file holds no records: a CSV header alone, `[]`, only blank lines, a 0-row Parquet."""
    if fmt == "parquet":
        return pq.read_metadata(path).num_rows == 0
    if path.stat().st_size > _SAMPLE_BYTES:
        return False
    text = _sample(path)
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith(DOCSTART)]
    if fmt == "csv":
        return len(lines) <= 1
    if fmt in ("json", "squad") and lines:
        try:
            content = json.loads(text)
        except ValueError:
            return False  # JSON Lines
        if fmt == "squad":
            return not any(paragraph.get("qas") for article in content.get("data", []) for paragraph in article.get("paragraphs", []))
        return content == [] or (isinstance(content, dict) and list(content.values()) == [[]])
    return not lines


def _builder(name: str, files: list[str], **options: str) -> datasets.Dataset:
    return datasets.load_dataset(name, data_files={"train": files}, split="train", **options)


def _open_file(path: Path) -> tuple[str, TextFile | None]:
    """The format of one file and, for a text file, its UTF-8 text, after checking that it exists and is
    not empty."""
    if not path.is_file():
        raise WorkbenchError(f"The data file {path} does not exist.")
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise WorkbenchError(
            f"{path} has an unsupported extension '{suffix or '(none)'}'; use one of {', '.join(sorted(EXTENSIONS))}."
        )
    if path.stat().st_size == 0:
        raise WorkbenchError(f"The data file {path} is empty.")
    fmt = EXTENSIONS[suffix]
    if fmt in ("parquet", "workbook"):
        return fmt, None
    text = as_utf8(path)
    if suffix in (".txt", ".tsv") and looks_like_conll(_sample(text.path)):
        return "conll", text
    if fmt == "json" and looks_like_squad(_sample(text.path)):
        return "squad", text
    return fmt, text


def _sample(path: Path) -> str:
    """The first ~64 KB of a UTF-8 text file, cut back to whole lines when the file is longer."""
    with open(path, "rb") as handle:
        raw = handle.read(_SAMPLE_BYTES + 1)
    if len(raw) > _SAMPLE_BYTES:
        raw = raw[: raw.rfind(b"\n", 0, _SAMPLE_BYTES) + 1] or raw[:_SAMPLE_BYTES]
    return raw.decode("utf-8-sig", errors="ignore")


def _sniff_delimiter(path: Path) -> str:
    """The delimiter `csv.Sniffer` finds among , ; tab |, checked against the header line."""
    sample = _sample(path)
    header = sample.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    if delimiter not in header:
        in_header = [d for d in _DELIMITERS if d in header]
        delimiter = max(in_header, key=header.count) if in_header else delimiter
    return delimiter


def _json_field(path: Path) -> str | None:
    """The key of a `{"data": [{...}, ...]}`-style file, or None for a list or JSON Lines."""
    sample = _sample(path)
    match = _JSON_FIELD.match(sample)
    if match is None:
        return None
    first = sample.split("\n", 1)[0]
    try:
        record = json.loads(first)
    except ValueError:
        return match.group(1)  # the first line is not a whole record: one object spans the file
    only_line = path.stat().st_size <= len(first.encode()) + 2
    return match.group(1) if only_line and len(record) == 1 else None


def _load_hub(dataset_id: str) -> datasets.DatasetDict:
    ensure_hub_reachable(dataset_id, "dataset")
    try:
        loaded = datasets.load_dataset(dataset_id)
    except datasets.exceptions.DatasetNotFoundError:
        raise WorkbenchError(f"There is no dataset '{dataset_id}' on the Hugging Face Hub (or it is private).") from None
    except (ConnectionError, TimeoutError):
        raise hub_offline_error(dataset_id, "dataset") from None
    normalised = _normalise(dict(loaded))
    if not normalised:
        raise WorkbenchError(f"The Hub dataset '{dataset_id}' has no usable splits.")
    return normalised
