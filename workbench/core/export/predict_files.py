"""`workbench predict`: a model's predictions added to every row of a file, streamed.

Rows are read a window at a time (`WINDOW_ROWS`), predicted (within the window in batches of
similar lengths, `tasks.batches.row_logits`, so little padding is computed) and written in their
input order before the next window is read, so memory stays flat however long the file is. The
output goes to a temporary file that is renamed into place: an error leaves no output. A stop asked
for between windows (`stop`, Ctrl-C on the command line) leaves the rows predicted so far as a
complete, valid output file, and says how many it holds (`Predicted`).

The file formats are in `table_files`; the model in `predict.Predictor`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.export.predict import DEFAULT_PRECISION, Predictor
from workbench.core.export.table_files import as_text, open_input, open_output, output_kind
from workbench.core.tasks import get_task

WINDOW_ROWS = 2048  # rows read, length-sorted and predicted together


@dataclass(frozen=True)
class Predicted:
    output: Path
    rows: int  # rows the output holds
    total: int | None  # rows the input holds, where it was counted
    stopped: bool  # a stop was asked for: the output holds the first `rows` rows only

    def sentence(self) -> str:
        if not self.stopped:
            return f"Wrote {self.rows:,} predictions to {self.output}"
        of = f" of {self.total:,}" if self.total is not None else ""
        return (f"Stopped: {self.output} holds the first {self.rows:,}{of} rows with their predictions "
                "(a complete file; run predict again for all of them)")


def predict_file(model_dir: str | Path, input_path: str | Path, output_path: str | Path, text_column: str | None = None,
                 pair_column: str | None = None, *, sheet: str | None = None, backend: str = "torch",
                 precision: str = DEFAULT_PRECISION, window_rows: int = WINDOW_ROWS,
                 say: Callable[[str], None] | None = None, progress: Callable[[int, int | None], None] | None = None,
                 stop: Callable[[], bool] | None = None, predictor: Predictor | None = None) -> Predicted:
    """Add the task's prediction columns (`label` and `confidence`; token tasks: `entities`, JSON; qa:
    `answer`, `answer_start`, `score`) to every row of a CSV, JSON Lines, Parquet or workbook file.
    The text columns default to the task's (`text`; qa: `question` and `context`).

    A workbook's (.xlsx, .xlsm, .xls, .ods) sheet is `sheet`, by default the first (`say` is told
    which sheet was read when the workbook has others). The output's extension picks its format:
    .xlsx (one sheet), .jsonl, .parquet, anything else a UTF-8 CSV. The input is never modified.

    `backend` and `precision` choose the model (`Predictor.load`; or pass a loaded `predictor`).
    `progress(rows_done, total)` is called after each window; `stop()`, asked after each window,
    ends the prediction early with the rows done so far written."""
    input_path, output_path = Path(input_path), Path(output_path)
    if output_path.resolve() == input_path.resolve():
        raise WorkbenchError(f"The output {output_path} is the input file; choose another name so the input is kept.")
    if not input_path.is_file():
        raise WorkbenchError(f"The input {input_path} does not exist.")
    kind = output_kind(output_path)
    table = open_input(input_path, sheet, kind, say)
    header = table.header
    predictor = predictor or Predictor.load(model_dir, backend, precision)
    task = get_task(predictor.task)
    text_column = text_column or task.input_columns[0]
    pair_column = pair_column or task.input_columns[1]
    for column in (text_column, pair_column):
        if column is not None and column not in header:
            raise WorkbenchError(f"{input_path} has no column '{column}' (it has: {', '.join(map(str, header))}).")
    if len(task.text_columns) == 2 and pair_column is None:
        raise WorkbenchError(f"{model_dir} is a sentence-pair model; name the column of {input_path} "
                             "that holds the second texts (--pair-column).")
    # A column the input already has (say the gold `label`) is kept; the prediction's gets a prefix.
    added = [f"predicted_{name}" if name in header else name for name in task.prediction_columns]
    tmp = output_path.with_name(f".{output_path.name}.tmp-{os.getpid()}")
    written, stopped = 0, False
    try:
        out = open_output(tmp, kind, [*header, *added], table.sheet, input_path)
        try:
            for window in table.windows(window_rows):
                pairs = _texts(window[pair_column]) if pair_column else None
                predictions = predictor.predict(_texts(window[text_column]), pairs)
                for name, cells in zip(added, task.prediction_cells(predictions)):
                    window[name] = cells
                out.write(window)
                written += len(window)
                if progress is not None:
                    progress(written, table.total)
                if stop is not None and stop():
                    stopped = True
                    break
        except BaseException:
            with contextlib.suppress(Exception):
                out.close()
            raise
        out.close()  # a complete file of the rows written so far
        os.replace(tmp, output_path)
    finally:
        tmp.unlink(missing_ok=True)
    return Predicted(output_path, written, table.total, stopped and (table.total is None or written < table.total))


def predict_csv(model_dir: str | Path, input_csv: str | Path, output_csv: str | Path, text_column: str | None = None,
                pair_column: str | None = None, batch_rows: int = WINDOW_ROWS, sheet: str | None = None,
                say: Callable[[str], None] | None = None) -> int:
    """`predict_file` with the PyTorch model, `batch_rows` rows a window; the rows written."""
    return predict_file(model_dir, input_csv, output_csv, text_column, pair_column, sheet=sheet, window_rows=batch_rows,
                        say=say).rows


def _texts(column) -> list[str]:
    """A column's cells as the texts to predict on: a workbook's numbers and dates as the sheet shows
    them, empty cells as empty texts."""
    return [value if isinstance(value, str) else as_text(value) for value in column.tolist()]
