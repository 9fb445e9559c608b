"""Raw loading: files, split folders, `save_to_disk` folders and Hub ids into a `DatasetDict`.

Files go through the `datasets` builders (CSV, JSON, Parquet) or the CoNLL reader, so the data
stays Arrow-backed, memory-mapped and cached by fingerprint. Columns are kept exactly as they are
in the source; only the split names are normalised to train / validation / test.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import datasets
import pyarrow.parquet as pq

from workbench.core.data.conll import DOCSTART, looks_like_conll, read_conll
from workbench.core.errors import WorkbenchError
from workbench.core.filetypes import DATA_EXTENSIONS as EXTENSIONS
from workbench.core.hub import ensure_hub_reachable, hub_offline_error, is_hub_id

_SAMPLE_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
_JSON_FIELD = re.compile(r'^\s*\{\s*"([^"]+)"\s*:\s*\[')


def split_name(name: str) -> str | None:
    """train / validation / test for a split or file stem that starts with a known name, else None."""
    name = name.lower()
    for prefix, split in (("train", "train"), ("valid", "validation"), ("dev", "validation"),
                          ("val", "validation"), ("test", "test")):
        if name.startswith(prefix):
            return split
    return None


def load_raw(source: str) -> datasets.DatasetDict:
    """The source's columns as they are, in a DatasetDict keyed train / validation / test."""
    path = Path(source).expanduser()
    if path.is_dir():
        return _load_folder(path)
    if path.is_file():
        return datasets.DatasetDict({"train": _load_files([path], str(path))})
    if is_hub_id(source):
        return _load_hub(source)
    raise WorkbenchError(f"The data source {source} does not exist.")


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


def _load_folder(folder: Path) -> datasets.DatasetDict:
    if any((folder / name).exists() for name in ("dataset_dict.json", "state.json")):
        try:
            loaded = datasets.load_from_disk(str(folder))
        except (OSError, ValueError) as exc:
            raise WorkbenchError(f"The saved dataset folder {folder} could not be read ({exc}).") from None
        if isinstance(loaded, datasets.Dataset):
            return datasets.DatasetDict({"train": loaded})
        normalised = _normalise(dict(loaded))
        if not normalised:
            raise WorkbenchError(f"The saved dataset folder {folder} holds no splits.")
        return normalised
    files: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        split = split_name(path.stem)
        if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in EXTENSIONS and split:
            files.setdefault(split, []).append(path)
    if "train" not in files:
        raise WorkbenchError(
            f"The folder {folder} has no training file: name the split files train, validation (or dev) "
            "and test, with an extension such as .csv, .jsonl, .parquet or .conll."
        )
    return datasets.DatasetDict({
        split: _load_files(paths, str(paths[0]) if len(paths) == 1 else f"the {split} files in {folder}")
        for split, paths in sorted(files.items(), key=lambda item: ("train", "validation", "test").index(item[0]))
    })


def _load_files(paths: list[Path], label: str) -> datasets.Dataset:
    """One split from one or more files of the same format; `label` names them in messages."""
    formats = {_file_format(path) for path in paths}
    if len(formats) > 1:
        raise WorkbenchError(f"The files for {label} mix formats ({', '.join(sorted(formats))}); use one format per split.")
    fmt = formats.pop()
    names = [str(path) for path in paths]
    try:
        if all(_no_rows(path, fmt) for path in paths):
            raise WorkbenchError(f"{label} has no data rows (only a header, blank lines or an empty list).")
        if fmt == "conll":
            dataset = read_conll(paths)
        elif fmt == "csv":
            dataset = _builder("csv", names, sep=_sniff_delimiter(paths[0]))
        elif fmt == "json":
            field = _json_field(paths[0])
            dataset = _builder("json", names, **({"field": field} if field else {}))
        else:
            dataset = _builder("parquet", names)
    except WorkbenchError:
        raise
    except Exception as exc:  # the builders raise many types; show the root cause in one sentence
        raise WorkbenchError(f"{label} could not be read as {fmt.upper()}: {_root_message(exc)}.") from None
    return dataset


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
    if fmt == "json" and lines:
        try:
            content = json.loads(text)
        except ValueError:
            return False  # JSON Lines
        return content == [] or (isinstance(content, dict) and list(content.values()) == [[]])
    return not lines


def _builder(name: str, files: list[str], **options: str) -> datasets.Dataset:
    return datasets.load_dataset(name, data_files={"train": files}, split="train", **options)


def _file_format(path: Path) -> str:
    """The format of one file, after checking that it exists, is not empty and is UTF-8 text."""
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
    if fmt == "parquet":
        return fmt
    check_utf8(path)
    if suffix in (".txt", ".tsv") and looks_like_conll(_sample(path)):
        return "conll"
    return fmt


def check_utf8(path: Path, chunk_size: int = 1 << 20) -> None:
    """Stream the file and raise naming the line of the first byte that is not UTF-8."""
    line, carry = 1, b""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(chunk_size)
            data = carry + chunk
            carry = b""
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                truncated = exc.reason == "unexpected end of data" and exc.end == len(data)
                if not (chunk and truncated):
                    line += data.count(b"\n", 0, exc.start)
                    raise WorkbenchError(
                        f"{path} is not UTF-8 text (line {line} has the byte 0x{data[exc.start]:02x}); "
                        "save it as UTF-8 and load it again."
                    ) from None
                data, carry = data[: exc.start], data[exc.start :]
            line += data.count(b"\n")
            if not chunk:
                return


def _sample(path: Path) -> str:
    """The first ~64 KB of a text file, cut back to whole lines when the file is longer."""
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


def _root_message(exc: BaseException) -> str:
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc).strip().splitlines()
    return (text[-1] if text else type(exc).__name__).rstrip(".")


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
