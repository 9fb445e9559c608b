"""A trained model on new text: the Try it page, `workbench predict` (CSV and workbooks in, CSV or
.xlsx out) and the export parity tests.

`Predictor` reads any folder `save_pretrained` wrote (a run's `model/` or an export). Its answers
are the ones `transformers.pipeline` gives for the same folder: text-classification scores (softmax,
or sigmoid for multi-label), and for token classification the entity groups of
`aggregation_strategy="first"`; each task module says how (`Task.predict`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.events import RunStarted
from workbench.core.runs import CONFIG_FILE, STATUS_FILE, read_events, run_config
from workbench.core.tasks import get_task, task_of_model
from workbench.core.tasks.prediction import Prediction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SavedModel:
    """What a model folder says about itself, and what its run says when the folder is a run's `model/`."""

    path: Path
    task: str
    label_names: list[str]
    max_length: int | None  # the run's; None outside a run
    positions: int | None  # the model's max_position_embeddings

    def input_limit(self, tokenizer) -> int:
        """The tokens an input is cut to: what the model and tokenizer take, as `pipeline` reads a
        folder (not the run's max_length, so predictions stay the pipeline's for longer inputs)."""
        return min(tokenizer.model_max_length, self.positions or tokenizer.model_max_length)

    @classmethod
    def read(cls, model_dir: str | Path) -> SavedModel:
        model_dir = Path(model_dir)
        try:
            config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
            names = config.get("id2label") or {}  # a question-answering model has none
            label_names = [names[str(i)] for i in range(len(names))]
        except (OSError, ValueError, KeyError, AttributeError):
            raise WorkbenchError(f"{model_dir} holds no model (its config.json is missing or unreadable).") from None
        task, max_length = task_of_model(config), None
        run_dir = model_dir.parent
        if (run_dir / CONFIG_FILE).is_file() and (run_dir / STATUS_FILE).is_file():  # a run folder
            task = run_config(run_dir).task.type  # the run knows a pair task, which no config.json tells
            max_length = run_max_length(run_dir)
        return cls(model_dir, task, label_names, max_length, config.get("max_position_embeddings"))


def run_max_length(run_dir: Path) -> int | None:
    """The max_length a run encoded with: its RunStarted event's, else its config's (None: not known)."""
    started = [event.max_length for event in read_events(run_dir) if isinstance(event, RunStarted)]
    return started[-1] if started else run_config(run_dir).task.max_length


class Predictor:
    def __init__(self, model, tokenizer, task: str, max_length: int):
        self.model, self.tokenizer, self.task, self.max_length = model, tokenizer, task, max_length
        self.label_names = [model.config.id2label[i] for i in range(model.config.num_labels)]

    @classmethod
    def load(cls, model_dir: str | Path) -> Predictor:
        from transformers import AutoTokenizer

        from workbench.core.model.device import pick_device

        saved = SavedModel.read(model_dir)
        try:
            model = get_task(saved.task).auto_class().from_pretrained(saved.path, dtype="float32")
            tokenizer = AutoTokenizer.from_pretrained(saved.path)
        except (OSError, ValueError) as exc:
            log.info("Loading the model in %s failed", saved.path, exc_info=True)
            raise WorkbenchError(
                f"The model in {saved.path} could not be loaded (a weights or tokenizer file is missing or damaged); "
                "export the run again."
            ) from exc
        return cls(model.to(pick_device()).eval(), tokenizer, saved.task, saved.input_limit(tokenizer))

    def predict(self, texts: list[str], pairs: list[str] | None = None) -> list[Prediction]:
        """Predictions for texts (with `pairs`: the second text of a pair, or a question's context)."""
        if not texts:
            return []
        return get_task(self.task).predict(self, texts, pairs)


def _chunks(input_csv: Path, text: Path, rows: int):
    """The CSV `text` (the UTF-8 text of `input_csv`) in chunks of `rows` rows as strings; a row pandas
    cannot split is named in our sentence."""
    import pandas as pd

    from workbench.core.data.problems import problem

    try:
        yield from pd.read_csv(text, chunksize=rows, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.ParserError as exc:
        log.info("Reading %s failed", input_csv, exc_info=True)
        raise WorkbenchError(problem(input_csv, text, "csv", ",") or f"{input_csv} could not be read as a CSV file; "
                             "check that it is comma-separated with a header line.") from exc


def _sheet_chunks(table, rows: int, typed: bool):
    """A workbook sheet's records in chunks of `rows`: the cells as they are (numbers, dates) for a
    workbook output, as text for a CSV one (dates in ISO form, 3 for 3.0, empty cells empty)."""
    import pandas as pd

    columns = table.columns if typed else list(table.text_columns().values())
    for begin in range(0, len(table), rows):
        frame = pd.DataFrame({i: cells[begin:begin + rows] for i, cells in enumerate(columns)}, dtype=object)
        frame.columns = table.names
        yield frame if typed else frame.fillna("")


def _output_kind(output: Path) -> str:
    """"xlsx" for an .xlsx output, "csv" for any other name; the other workbook formats are refused."""
    from workbench.core.filetypes import WORKBOOK_EXTENSIONS

    suffix = output.suffix.lower()
    if suffix == ".xlsx":
        return "xlsx"
    if suffix in WORKBOOK_EXTENSIONS:
        raise WorkbenchError(f"The output {output} would be a {suffix} workbook, which predict does not write; "
                             "name an .xlsx or a .csv output.")
    return "csv"


class _CsvOut:
    def __init__(self, path: Path, header: list[str]):
        import pandas as pd

        self.path = path
        pd.DataFrame(columns=header).to_csv(path, index=False)

    def write(self, frame) -> None:
        frame.to_csv(self.path, mode="a", header=False, index=False)

    def close(self) -> None:
        pass


class _XlsxOut:
    """One sheet written row by row (openpyxl's write-only mode keeps no rows in memory). Characters a
    workbook cannot hold (control characters other than tab and line breaks) are left out of text cells."""

    def __init__(self, path: Path, header: list[str], sheet: str, source: Path):
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        from workbench.core.data.workbooks import EXCEL_ROWS

        self.path, self.source, self.limit, self.rows = path, source, EXCEL_ROWS, 1
        self._illegal = ILLEGAL_CHARACTERS_RE
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(sheet)
        self.sheet.append([self._cell(name) for name in header])

    def _cell(self, value):
        if isinstance(value, str):
            return self._illegal.sub("", value)
        if value is None or (isinstance(value, float) and value != value):
            return None
        return value

    def write(self, frame) -> None:
        if self.rows + len(frame) > self.limit:
            raise WorkbenchError(f"{self.source} has more rows than an Excel sheet holds ({self.limit - 1:,} under "
                                 "the header); name a .csv output instead.")
        for row in frame.itertuples(index=False, name=None):
            self.sheet.append([self._cell(value) for value in row])
        self.rows += len(frame)

    def close(self) -> None:
        self.book.save(self.path)


def predict_csv(model_dir: str | Path, input_csv: str | Path, output_csv: str | Path, text_column: str | None = None,
                pair_column: str | None = None, batch_rows: int = 1000, sheet: str | None = None,
                say: Callable[[str], None] | None = None) -> int:
    """Add the task's prediction columns (`label` and `confidence`; token tasks: `entities`, JSON; qa:
    `answer`, `answer_start`, `score`) to every row of a CSV or a workbook sheet; rows written. The text
    columns default to the task's (`text`; qa: `question` and `context`).

    The input is a CSV, or a workbook (.xlsx, .xlsm, .xls, .ods): its sheet `sheet`, by default the
    first (`say` is told which sheet was read when the workbook has others). The output's extension
    picks its format: .xlsx writes a workbook of one sheet, anything else a UTF-8 CSV.

    Reads and writes `batch_rows` rows at a time, so a large CSV is never held whole (a workbook's
    sheet is read whole, as calamine reads it); the output goes to a temporary file renamed into
    place, and the input is never modified. CSV cells are kept as they were written (as text); a
    workbook's cells keep their numbers and dates in an .xlsx output and are written as text in a CSV."""
    from workbench.core.data.charsets import as_utf8
    from workbench.core.filetypes import DATA_EXTENSIONS

    input_csv, output_csv = Path(input_csv), Path(output_csv)
    if output_csv.resolve() == input_csv.resolve():
        raise WorkbenchError(f"The output {output_csv} is the input file; choose another name so the input is kept.")
    if not input_csv.is_file():
        raise WorkbenchError(f"The input {input_csv} does not exist.")
    kind = _output_kind(output_csv)
    workbook = DATA_EXTENSIONS.get(input_csv.suffix.lower()) == "workbook"
    if workbook:
        from workbench.core.data.workbooks import read_table

        table = read_table(input_csv, sheet)
        header, out_sheet = table.names, table.sheet
        others = [name for name in table.sheets if name != table.sheet]
        if others and say is not None:
            say(f"Read the sheet '{table.sheet}' of {input_csv}; it also has "
                f"{'the sheets' if len(others) > 1 else 'the sheet'} {', '.join(repr(name) for name in others)} "
                "(--sheet names the sheet to read).")
        chunks = _sheet_chunks(table, batch_rows, typed=kind == "xlsx")
    else:
        import pandas as pd

        if sheet is not None:
            raise WorkbenchError(f"--sheet is '{sheet}', but the input {input_csv} is not a workbook; leave --sheet out.")
        text = as_utf8(input_csv).path  # a Windows-1252 or UTF-16 export is read through its UTF-8 copy
        try:
            header = list(pd.read_csv(text, nrows=0, encoding="utf-8-sig").columns)
        except (OSError, ValueError) as exc:
            log.info("Reading the header of %s failed", input_csv, exc_info=True)
            raise WorkbenchError(f"{input_csv} has no header line to read; the first line must name the columns.") from exc
        out_sheet = "predictions"
        chunks = _chunks(input_csv, text, batch_rows)
    predictor = Predictor.load(model_dir)
    task = get_task(predictor.task)
    text_column = text_column or task.input_columns[0]
    pair_column = pair_column or task.input_columns[1]
    for column in (text_column, pair_column):
        if column is not None and column not in header:
            raise WorkbenchError(f"{input_csv} has no column '{column}' (it has: {', '.join(map(str, header))}).")
    if len(task.text_columns) == 2 and pair_column is None:
        raise WorkbenchError(f"{model_dir} is a sentence-pair model; name the column of {input_csv} "
                             "that holds the second texts (--pair-column).")
    # A column the input already has (say the gold `label`) is kept; the prediction's gets a prefix.
    added = [f"predicted_{name}" if name in header else name for name in task.prediction_columns]
    tmp = output_csv.with_name(f".{output_csv.name}.tmp-{os.getpid()}")
    written = 0
    try:
        out = _XlsxOut(tmp, [*header, *added], out_sheet, input_csv) if kind == "xlsx" else _CsvOut(tmp, [*header, *added])
        for chunk in chunks:
            predictions = predictor.predict(_texts(chunk[text_column]), _texts(chunk[pair_column]) if pair_column else None)
            for name, cells in zip(added, task.prediction_cells(predictions)):
                chunk[name] = cells
            out.write(chunk)
            written += len(chunk)
        out.close()
        os.replace(tmp, output_csv)
    finally:
        tmp.unlink(missing_ok=True)
    return written


def _texts(column) -> list[str]:
    """A column's cells as the texts to predict on: a workbook's numbers and dates as the sheet shows
    them, empty cells as empty texts."""
    from workbench.core.data.workbooks import cell_text

    return [value if isinstance(value, str) else "" if value is None else cell_text(value) for value in column.tolist()]
