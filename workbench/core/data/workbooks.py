"""Workbooks: Excel (.xlsx, .xlsm, .xls) and OpenDocument (.ods) sheets read as tables of records.

calamine (python-calamine, a compiled Rust reader; pandas' `calamine` engine is the same reader) gives
the cells; what they become is decided here, the way an analyst reads the sheet:

* the table starts at the sheet's first used cell; its first row is the header. A header cell merged
  across several columns names each of them, the first after its text and the others as pandas names
  repeated columns ("Review", "Review.1"); a column with data and no header at all is named as pandas
  names it ("Unnamed: 2", counting columns of the table from 0), so the unnamed index column that
  `DataFrame.to_excel` writes loads too. A column with neither header nor data is dropped, and so is a
  row with no cell filled.
* a formula gives the value the file saved with it. A workbook written by a program that does not
  calculate (openpyxl, many exporters) saves no value: such a cell is refused in a sentence naming it,
  as reading it as empty would lose labels silently (.xlsx and .xlsm are checked; .xls and .ods files
  come from programs that always save the values). A cell holding an error such as #N/A is read as
  empty, and a note names it.
* a column of whole numbers stays whole numbers (Excel stores every number as a float: 3.0 is 3), a
  column of numbers stays numbers; any other column is text, numbers written as Excel shows them
  ("3", "0.25"), dates and times in ISO form ("2024-01-31", "2024-01-31 09:30"), TRUE and FALSE.

Every refusal is one sentence naming the file, the sheet and the cell or row.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import pyarrow as pa

from workbench.core.errors import WorkbenchError

EXCEL_ROWS = 1_048_576  # the rows an Excel sheet holds, the header's included
_SPLIT_SHEETS = {"train": "train", "training": "train", "validation": "validation", "valid": "validation",
                 "val": "validation", "dev": "validation", "test": "test", "testing": "test"}
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAFE_INT = 2**53  # whole floats above this are not exact integers
_CELL = r'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+[0-9]+)"[^>]*'
_FORMULA = r'(?:<(?:\w+:)?f\b[^>]*/>|<(?:\w+:)?f\b[^>]*>[^<]*</(?:\w+:)?f>)'
_ERROR_CELL = re.compile((_CELL + r'\bt="e"[^>]*>\s*' + _FORMULA + r'?\s*<(?:\w+:)?v>([^<]*)<').encode())
_UNCACHED_FORMULA = re.compile(
    (_CELL + r'(?<!/)>\s*' + _FORMULA + r'\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>').encode())
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SheetRead:
    """Which sheet of which workbook a split was read from, and where its rows are on the sheet."""

    path: str
    sheet: str
    sheets: tuple[str, ...]  # every sheet of the workbook, in order
    rows: tuple[int, ...] = ()  # the sheet row number (1-based) of each data row read


@dataclass
class Table:
    """A sheet's records: column names and, column by column, the cells (None where empty)."""

    path: Path
    sheet: str
    sheets: tuple[str, ...]
    names: list[str]
    columns: list[list[object]]
    rows: list[int]  # the sheet row number (1-based) of each record
    header_row: int
    notes: list[str] = field(default_factory=list)  # cells read as empty (errors such as #N/A)

    def __len__(self) -> int:
        return len(self.rows)

    def read(self) -> SheetRead:
        return SheetRead(str(self.path), self.sheet, self.sheets, tuple(self.rows))

    def arrow(self) -> pa.Table:
        """Typed Arrow columns: int64 for whole numbers, float64 for numbers, text for anything else."""
        return pa.table({name: _arrow_column(cells) for name, cells in zip(self.names, self.columns)})

    def text_columns(self) -> dict[str, list[str | None]]:
        """Every cell as text, as a CSV of the sheet would hold it."""
        return {name: [None if cell is None else cell_text(cell) for cell in cells]
                for name, cells in zip(self.names, self.columns)}


def where(path: Path | str, sheet: str, start: bool = False) -> str:
    """"the sheet 'reviews' of data/book.xlsx", the words every sentence here names a sheet in
    (`start`: "The sheet ...", to begin a sentence)."""
    return f"{'The' if start else 'the'} sheet '{sheet}' of {path}"


def split_sheets(names: list[str] | tuple[str, ...]) -> dict[str, str]:
    """split -> sheet for a workbook whose sheets are its splits: a train sheet and a validation or test
    sheet, named train, training, validation, valid, val, dev, test or testing (any case); else {}."""
    found: dict[str, str] = {}
    for name in names:
        split = _SPLIT_SHEETS.get(name.strip().lower())
        if split and split not in found:
            found[split] = name
    return found if "train" in found and len(found) > 1 else {}


def read_table(path: Path, sheet: str | None = None) -> Table:
    """The sheet `sheet` of the workbook (None: its first visible sheet with any cells) as records."""
    return read_workbook(path, sheet, splits=False)["train"]


def read_workbook(path: Path, sheet: str | None = None, splits: bool = True) -> dict[str, Table]:
    """The workbook's records by split: {"train": the sheet `sheet`}, or with no sheet named and
    `splits`, its sheets named after splits as those splits (else its first visible sheet with cells)."""
    book = _open(path)
    try:
        names = tuple(meta.name for meta in book.sheets_metadata if "Chart" not in str(meta.typ))  # charts hold no cells
        by_split = split_sheets(names) if splits and sheet is None else {}
        if by_split:
            return {split: _read_sheet(book, path, names, name) for split, name in by_split.items()}
        if sheet is not None and sheet not in names:
            raise WorkbenchError(f"The workbook {path} has no sheet '{sheet}' (its sheets: "
                                 f"{', '.join(repr(name) for name in names)}); set data.sheet to one of them.")
        if sheet is not None:
            return {"train": _read_sheet(book, path, names, sheet)}
        visible = [meta.name for meta in book.sheets_metadata if meta.name in names and str(meta.visible).endswith(".Visible")]
        for name in visible or names:
            loaded = _load_sheet(book, path, name)
            if loaded.height:
                return {"train": _read_sheet(book, path, names, name, loaded)}
        raise WorkbenchError(f"The workbook {path} holds no cells in any sheet; put the header and rows in its first sheet.")
    finally:
        book.close()


def cell_text(value: object) -> str:
    """A cell as the text an analyst sees in the sheet: 3 for 3.0, ISO dates, TRUE and FALSE."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < _SAFE_INT else f"{value:.15g}"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second or value.microsecond else "minutes")
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second or value.microsecond else "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        minutes, seconds = divmod(round(value.total_seconds()), 60)
        return f"{minutes // 60}:{minutes % 60:02d}" + (f":{seconds:02d}" if seconds else "")
    return str(value)


def column_letter(index: int) -> str:
    """A for 0, Z for 25, AA for 26: the column part of a cell address."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- reading ------------------------------------------------------------------------------------


def _open(path: Path):
    import python_calamine

    problem = _not_a_workbook(path)
    if problem:
        raise WorkbenchError(problem)
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise WorkbenchError(f"The workbook {path} is protected with a password; save a copy without one and open that.") from None
    except Exception as exc:  # CalamineError, ZipError, XmlError, ValueError: calamine's words for a damaged file
        log.info("Opening the workbook %s failed", path, exc_info=True)
        raise WorkbenchError(f"The workbook {path} could not be read (it is damaged or cut short); "
                             "open it in Excel or LibreOffice and save it again.") from exc


def _not_a_workbook(path: Path) -> str | None:
    """A sentence for a file whose bytes are not a workbook's (a renamed CSV or an HTML export), else None."""
    with open(path, "rb") as handle:
        head = handle.read(512)
    if not head:
        return f"The workbook {path} is empty."
    suffix = path.suffix.lower()
    if head.startswith(_ZIP if suffix != ".xls" else (_OLE, _ZIP)):
        return None
    if suffix != ".xls" and head.startswith(_OLE):
        return (f"The workbook {path} is protected with a password or is an old .xls workbook renamed; save it as "
                f"{suffix} without a password and open it again.")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<", b"<!doctype")):
        return (f"{path} holds a web page (HTML), not a workbook, although it is named {suffix}; open it in Excel "
                "and save it as .xlsx, or export the data as CSV.")
    if b"\x00" not in head or head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text ("Unicode Text") too
        return f"{path} holds plain text, not a workbook, although it is named {suffix}; rename it to .csv and open that."
    return (f"The workbook {path} could not be read (it is not a {suffix} workbook, or it is damaged); "
            "open it in Excel or LibreOffice and save it again.")


def _read_sheet(book, path: Path, names: tuple[str, ...], name: str, loaded=None) -> Table:
    loaded = _load_sheet(book, path, name) if loaded is None else loaded
    if not loaded.height:
        raise WorkbenchError(f"{where(path, name, start=True)} is empty; pick a sheet that holds the header and rows.")
    top, left = loaded.start
    merged = loaded.merged_cell_ranges or (_ods_header_spans(path, name, top) if path.suffix.lower() == ".ods" else [])
    table = _records(path, name, names, loaded.to_python(skip_empty_area=True), top, left, merged)
    _check_formulas(path, name, table)
    return table


def _load_sheet(book, path: Path, name: str):
    try:
        return book.get_sheet_by_name(name)
    except Exception as exc:
        log.info("Reading the sheet %r of %s failed", name, path, exc_info=True)
        raise WorkbenchError(f"{where(path, name, start=True)} could not be read (it is damaged); "
                             "open the workbook in Excel or LibreOffice and save it again.") from exc


def _records(path: Path, sheet: str, sheets: tuple[str, ...], cells: list[list[object]], top: int, left: int,
             merged: list) -> Table:
    header, body = cells[0], cells[1:]
    width = max(map(len, cells))
    header = list(header) + [""] * (width - len(header))
    spans = {}  # header column (in the table) -> the column whose text it carries, for merged header cells
    for (r0, c0), (r1, c1) in merged:
        if r0 <= top <= r1:
            for column in range(max(c0, left) + 1, c1 + 1):
                spans[column - left] = c0 - left
    columns: list[list[object]] = [[] for _ in range(width)]
    rows: list[int] = []
    for offset, row in enumerate(body, start=top + 2):
        values = [None if cell == "" else cell for cell in row]  # calamine reads an empty cell as ""
        if all(value is None for value in values):
            continue
        rows.append(offset)
        values += [None] * (width - len(values))
        for column, value in enumerate(values):
            columns[column].append(value)
    if not rows:
        raise WorkbenchError(f"{where(path, sheet, start=True)} has no data rows under its header (row {top + 1}); "
                             "put one record on each row below the header.")
    names, kept, cells_of = [], [], {}
    counts: dict[str, int] = {}
    for column in range(width):
        own = header[column]
        own = None if own is None or (isinstance(own, str) and not own.strip()) else own
        has_data = any(value is not None for value in columns[column])
        if own is None and not has_data:
            continue
        if own is not None:
            name = cell_text(own)
        elif column in spans and header[spans[column]] not in (None, ""):
            base = cell_text(header[spans[column]])
            counts[base] = counts.get(base, 0) + 1
            name = f"{base}.{counts[base]}"
        else:
            name = f"Unnamed: {column}"
        address = f"{column_letter(left + column)}{top + 1}"
        if name in cells_of:
            raise WorkbenchError(f"{where(path, sheet, start=True)} has the column '{name}' twice, in cells "
                                 f"{cells_of[name]} and {address}; rename one of them.")
        cells_of[name] = address
        names.append(name)
        kept.append(columns[column])
    return Table(path, sheet, sheets, names, kept, rows, top + 1)


def _arrow_column(cells: list[object]) -> pa.Array:
    present = [cell for cell in cells if cell is not None]
    if present and all(isinstance(cell, (int, float)) and not isinstance(cell, bool) for cell in present):
        if all(isinstance(cell, int) or (cell.is_integer() and abs(cell) < _SAFE_INT) for cell in present):
            return pa.array([None if cell is None else int(cell) for cell in cells], pa.int64())
        return pa.array([None if cell is None else float(cell) for cell in cells], pa.float64())
    return pa.array([None if cell is None else cell_text(cell) for cell in cells], pa.string())


# --- formulas and errors (.xlsx, .xlsm) ----------------------------------------------------------


def _check_formulas(path: Path, sheet: str, table: Table) -> None:
    """Refuse a formula cell saved without its value; note the cells that hold an error (read as empty)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return
    xml = _sheet_xml(path, sheet)
    if xml is None:
        return
    if b"<f" in xml or b":f" in xml:
        uncached = _UNCACHED_FORMULA.search(xml)
        if uncached:
            cell = uncached.group(1).decode()
            raise WorkbenchError(
                f"Cell {cell} of {where(path, sheet)} holds a formula saved without its value (the program that wrote "
                "the file does not calculate formulas); open the file in Excel or LibreOffice and save it again, "
                "which stores every formula's value."
            )
    if b't="e"' in xml:
        errors = _ERROR_CELL.findall(xml)
        if errors:
            (cell, error), more = errors[0], len(errors) - 1
            others = f" (and {more} more cell{'s' if more > 1 else ''} with errors)" if more else ""
            table.notes.append(f"Cell {cell.decode()} of {where(path, sheet)} holds the error {error.decode()}, "
                               f"read as an empty cell{others}.")


def _sheet_xml(path: Path, sheet: str) -> bytes | None:
    """The XML of the sheet named `sheet` in an .xlsx or .xlsm package; None when it cannot be found."""
    try:
        with zipfile.ZipFile(path) as package:
            book = ElementTree.fromstring(package.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
            targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL_NS}Relationship")}
            for element in book.iter(f"{_MAIN_NS}sheet"):
                if element.get("name") == sheet:
                    target = targets.get(element.get(f"{_REL_NS}id"), "")
                    member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
                    return package.read(member)
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    return None


# --- merged header cells (.ods: calamine gives no merged ranges for OpenDocument) ------------------


def _ods_header_spans(path: Path, sheet: str, top: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The header row's merged cells of an .ods sheet, as calamine gives an .xlsx's merged ranges
    ((row, first column), (row, last column)); the XML is read only up to that row."""
    table, number_rows = f"{_ODS_TABLE}table", f"{_ODS_TABLE}number-rows-repeated"
    cells = (f"{_ODS_TABLE}table-cell", f"{_ODS_TABLE}covered-table-cell")
    try:
        with zipfile.ZipFile(path) as package, package.open("content.xml") as content:
            inside, row = False, 0
            for event, element in ElementTree.iterparse(content, events=("start", "end")):
                if element.tag == table and event == "start":
                    inside = element.get(f"{_ODS_TABLE}name") == sheet
                elif element.tag == table and inside:
                    return []
                elif inside and event == "end" and element.tag == f"{_ODS_TABLE}table-row":
                    repeated = int(element.get(number_rows, "1"))
                    if row <= top < row + repeated:
                        return _row_spans(element, top, cells)
                    row += repeated
                    element.clear()
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, ElementTree.ParseError):
        return []
    return []


def _row_spans(row, top: int, cells: tuple[str, str]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    spans, column = [], 0
    for cell in row:
        if cell.tag not in cells:
            continue
        span = int(cell.get(f"{_ODS_TABLE}number-columns-spanned", "1"))
        if span > 1:
            spans.append(((top, column), (top, column + span - 1)))
        column += int(cell.get(f"{_ODS_TABLE}number-columns-repeated", "1"))
    return spans
