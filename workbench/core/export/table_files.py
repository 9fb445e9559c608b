"""The files `workbench predict` reads and writes, a window of rows at a time: CSV, JSON Lines,
Parquet and workbooks in; CSV, JSON Lines, Parquet and .xlsx out.

An input (`open_input`) gives its header, its number of rows where that is cheap to know (for the
progress bar's ETA) and its rows in windows of pandas frames; nothing but a workbook's sheet is
read whole. An output (`open_output`) appends each window as it comes, and `close` leaves a complete
file of the rows written so far (a Parquet footer, a saved workbook), so an interrupted prediction
still leaves a valid file.

CSV cells are read as text, exactly as written. JSON Lines and Parquet cells keep their types
(Parquet's exactly, as Arrow types) in a JSON Lines, Parquet or workbook output, and are written as
text in a CSV. A workbook's cells keep their numbers and dates in an .xlsx output and are written as
text (as the sheet shows them) elsewhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError

log = logging.getLogger(__name__)

OUTPUT_KINDS = {".xlsx": "xlsx", ".jsonl": "jsonl", ".parquet": "parquet"}  # any other name: CSV
TYPED_OUTPUTS = ("xlsx", "jsonl", "parquet")  # outputs that keep a cell's type (a CSV holds text)


@dataclass
class InputTable:
    header: list[str]
    total: int | None  # rows, where known before reading them
    sheet: str  # the sheet an .xlsx output names
    windows: Callable[[int], Iterator]  # windows(rows): pandas frames of `rows` rows, in order


def output_kind(output: Path) -> str:
    """"xlsx", "jsonl" or "parquet" by the output's extension, "csv" for any other name; the other
    workbook formats are refused."""
    from workbench.core.filetypes import WORKBOOK_EXTENSIONS

    suffix = output.suffix.lower()
    if suffix in OUTPUT_KINDS:
        return OUTPUT_KINDS[suffix]
    if suffix in WORKBOOK_EXTENSIONS:
        raise WorkbenchError(f"The output {output} would be a {suffix} workbook, which predict does not write; "
                             "name an .xlsx, .csv, .jsonl or .parquet output.")
    return "csv"


def open_input(path: Path, sheet: str | None, output: str, say: Callable[[str], None] | None) -> InputTable:
    """The input file's header, row count and windows, its cells typed as the `output` kind keeps them."""
    from workbench.core.filetypes import DATA_EXTENSIONS

    kind = DATA_EXTENSIONS.get(path.suffix.lower())
    if kind == "workbook":
        return _workbook(path, sheet, output == "xlsx", say)
    typed = output in TYPED_OUTPUTS
    if sheet is not None:
        raise WorkbenchError(f"--sheet is '{sheet}', but the input {path} is not a workbook; leave --sheet out.")
    if kind == "parquet":
        return _parquet(path, typed)
    if kind == "json":
        return _json_lines(path, typed)
    return _csv(path)


# --- inputs --------------------------------------------------------------------------------------

def _workbook(path: Path, sheet: str | None, typed: bool, say) -> InputTable:
    import pandas as pd

    from workbench.core.data.workbooks import read_table

    table = read_table(path, sheet)
    others = [name for name in table.sheets if name != table.sheet]
    if others and say is not None:
        say(f"Read the sheet '{table.sheet}' of {path}; it also has "
            f"{'the sheets' if len(others) > 1 else 'the sheet'} {', '.join(repr(name) for name in others)} "
            "(--sheet names the sheet to read).")
    columns = table.columns if typed else list(table.text_columns().values())

    def windows(rows: int):
        for begin in range(0, len(table), rows):
            frame = pd.DataFrame({i: cells[begin:begin + rows] for i, cells in enumerate(columns)}, dtype=object)
            frame.columns = table.names
            yield frame if typed else frame.fillna("")

    return InputTable(table.names, len(table), table.sheet, windows)


def _csv(path: Path) -> InputTable:
    import pandas as pd

    from workbench.core.data.charsets import as_utf8
    from workbench.core.data.problems import problem

    text = as_utf8(path).path  # a Windows-1252 or UTF-16 export is read through its UTF-8 copy
    try:
        header = list(pd.read_csv(text, nrows=0, encoding="utf-8-sig").columns)
    except (OSError, ValueError) as exc:
        log.info("Reading the header of %s failed", path, exc_info=True)
        raise WorkbenchError(f"{path} has no header line to read; the first line must name the columns.") from exc

    def windows(rows: int):
        try:
            yield from pd.read_csv(text, chunksize=rows, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except pd.errors.ParserError as exc:
            log.info("Reading %s failed", path, exc_info=True)
            raise WorkbenchError(problem(path, text, "csv", ",") or f"{path} could not be read as a CSV file; "
                                 "check that it is comma-separated with a header line.") from exc

    return InputTable(header, _csv_rows(text), "predictions", windows)


def _csv_rows(text: Path) -> int | None:
    """The CSV's records under the header, blank lines left out as pandas leaves them (one pass of
    the csv module, a second or two a million rows); None where it cannot tell."""
    try:
        with open(text, newline="", encoding="utf-8-sig") as handle:
            return max(sum(1 for row in csv.reader(handle) if row) - 1, 0)
    except (OSError, csv.Error, UnicodeDecodeError):
        return None


def _parquet(path: Path, typed: bool) -> InputTable:
    import pandas as pd
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except (OSError, ValueError) as exc:
        raise WorkbenchError(f"{path} could not be read as a Parquet file ({exc}).") from exc
    header = list(file.schema_arrow.names)

    def windows(rows: int):
        for batch in file.iter_batches(batch_size=rows):
            # Arrow-backed columns keep the file's exact types (integers with nulls stay integers)
            frame = batch.to_pandas(types_mapper=pd.ArrowDtype)
            yield frame if typed else _as_text(frame)

    return InputTable(header, file.metadata.num_rows, "predictions", windows)


def _json_lines(path: Path, typed: bool) -> InputTable:
    """JSON Lines: one object a line (blank lines skipped); the columns are the first object's keys."""

    def records():
        with open(path, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if not isinstance(record, dict):
                    raise WorkbenchError(f"{path} line {number} is not a JSON object; predict reads JSON Lines, "
                                         "one object such as {\"text\": \"...\"} a line.")
                yield number, record

    first = next(records(), None)
    header = list(first[1]) if first else []

    def windows(rows: int):
        chunk = []
        for number, record in records():
            extra = [key for key in record if key not in header]
            if extra:
                raise WorkbenchError(f"{path} line {number} has the key '{extra[0]}', which the first line does not "
                                     f"have; predict writes the first line's keys ({', '.join(header)}).")
            chunk.append([record.get(name) for name in header])
            if len(chunk) == rows:
                yield _frame(chunk, header, typed)
                chunk = []
        if chunk:
            yield _frame(chunk, header, typed)

    with open(path, "rb") as handle:
        total = sum(1 for line in handle if line.strip())
    return InputTable(header, total, "predictions", windows)


def _frame(values: list[list], header: list[str], typed: bool):
    import pandas as pd

    frame = pd.DataFrame(values, columns=header, dtype=object)
    return frame if typed else _as_text(frame)


def _as_text(frame):
    """Every cell as text, as a CSV holds it: empty for a missing value, JSON for lists and objects."""
    import pandas as pd

    text = pd.DataFrame({i: [as_text(value) for value in frame.iloc[:, i].tolist()] for i in range(frame.shape[1])},
                        index=frame.index, dtype=object)
    text.columns = frame.columns
    return text


def as_text(value) -> str:
    """A cell as a CSV holds it: empty for a missing value, JSON for lists and objects, a workbook's
    numbers and dates as the sheet shows them."""
    from workbench.core.data.workbooks import cell_text

    if isinstance(value, str):
        return value
    if _missing(value):
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    return cell_text(value)


def _json_default(value):
    """JSON for what json does not know: dates and times as text, numpy and pandas values as theirs."""
    import pandas as pd

    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return value.isoformat() if not isinstance(value, dt.timedelta) else str(value)
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


# --- outputs -------------------------------------------------------------------------------------

def open_output(path: Path, kind: str, header: list[str], sheet: str, source: Path):
    if kind == "xlsx":
        return XlsxOut(path, header, sheet, source)
    if kind == "jsonl":
        return JsonlOut(path)
    if kind == "parquet":
        return ParquetOut(path, header)
    return CsvOut(path, header)


class CsvOut:
    def __init__(self, path: Path, header: list[str]):
        self.handle = open(path, "w", newline="", encoding="utf-8")
        csv.writer(self.handle).writerow(header)

    def write(self, frame) -> None:
        frame.to_csv(self.handle, header=False, index=False)
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


class JsonlOut:
    """One JSON object a line, the keys in the input's order; a missing value is null."""

    def __init__(self, path: Path):
        self.handle = open(path, "w", encoding="utf-8")

    def write(self, frame) -> None:
        names = list(frame.columns)
        lines = [json.dumps(dict(zip(names, map(_json_value, row))), ensure_ascii=False, default=_json_default)
                 for row in frame.itertuples(index=False, name=None)]
        self.handle.write("".join(line + "\n" for line in lines))
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def _json_value(value):
    return None if _missing(value) else value


def _missing(value) -> bool:
    """None, NaN, or pandas' missing values (NA and NaT, as Arrow-backed columns give them)."""
    import pandas as pd

    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


class ParquetOut:
    """A row group a window; the schema is the first window's (a column with no values yet is text),
    and `close` writes the footer."""

    def __init__(self, path: Path, header: list[str]):
        self.path, self.header, self.writer, self.schema = path, header, None, None

    def write(self, frame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.schema is None:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            self.schema = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f
                                     for f in table.schema]).remove_metadata()
            self.writer = pq.ParquetWriter(self.path, self.schema)
        try:
            table = pa.Table.from_pandas(frame, schema=self.schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise WorkbenchError(f"A column's values change type part-way through the input ({exc}), which a Parquet "
                                 "file cannot hold; name a .jsonl or .csv output.") from exc
        self.writer.write_table(table)

    def close(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.writer is None:  # no rows: the header as text columns
            self.writer = pq.ParquetWriter(self.path, pa.schema([(name, pa.string()) for name in self.header]))
        self.writer.close()


class XlsxOut:
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
        import numpy as np
        import pandas as pd

        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, str):
            return self._illegal.sub("", value)
        if _missing(value):
            return None
        if isinstance(value, pd.Timestamp):
            return value.to_pydatetime()
        if isinstance(value, (int, float, dt.date, dt.time, dt.timedelta)):
            return value
        return self._illegal.sub("", as_text(value.tolist() if isinstance(value, np.ndarray) else value))

    def write(self, frame) -> None:
        if self.rows + len(frame) > self.limit:
            raise WorkbenchError(f"{self.source} has more rows than an Excel sheet holds ({self.limit - 1:,} under "
                                 "the header); name a .csv output instead.")
        for row in frame.itertuples(index=False, name=None):
            self.sheet.append([self._cell(value) for value in row])
        self.rows += len(frame)

    def close(self) -> None:
        self.book.save(self.path)
