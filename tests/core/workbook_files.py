"""Real workbooks for the tests: .xlsx written by openpyxl, .ods by pandas' odf writer (odfpy) or odfpy
itself, .xls by xlwt.

openpyxl writes a formula without the value it gives (it does not calculate), as many exporters do;
Excel and LibreOffice save each formula's value beside it. `with_cached_values` writes those values
into the sheet's XML as Excel would, so a test can read a workbook as Excel saves it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pandas as pd


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], merged: dict[str, list[str]] | None = None) -> Path:
    """A workbook with one sheet per item, rows as given (None: an empty cell); `merged`: ranges per sheet."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cells in (merged or {}).get(name, []):
            sheet.merge_cells(cells)
    book.save(path)
    return path


def write_ods(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def with_cached_values(path: Path, sheet_index: int, values: dict[str, object], errors: bool = False) -> Path:
    """Store each formula cell's value (cell address -> value) in sheet `sheet_index` (1-based), as
    Excel does on saving: `<f>...</f><v>value</v>`, with t="str" for a text result (t="e" with
    `errors`: the values are errors such as #N/A)."""
    member = f"xl/worksheets/sheet{sheet_index}.xml"
    with zipfile.ZipFile(path) as package:
        files = {name: package.read(name) for name in package.namelist()}
    xml = files[member].decode()
    for cell, value in values.items():
        pattern = re.compile(rf'<c r="{cell}"([^>]*)>(<f>[^<]*</f>)<v\s*/>')
        kind = ' t="e"' if errors else ' t="str"' if isinstance(value, str) else ""
        xml, found = pattern.subn(lambda m: f'<c r="{cell}"{m.group(1)}{kind}>{m.group(2)}<v>{escape(str(value))}</v>', xml)
        assert found == 1, f"no formula cell {cell} in {member}"
    files[member] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in files.items():
            package.writestr(name, data)
    return path


def write_ods_rows(path: Path, sheet: str, rows: list[list[str]], spans: dict[tuple[int, int], int]) -> Path:
    """An .ods of text cells written with odfpy itself, as LibreOffice writes a merged cell: the cell
    at (row, column) spanning `spans[(row, column)]` columns, the cells it covers `covered-table-cell`s."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    document, table = OpenDocumentSpreadsheet(), Table(name=sheet)
    for r, cells in enumerate(rows):
        row, covered = TableRow(), 0
        for c, text in enumerate(cells):
            if covered:
                row.addElement(CoveredTableCell())
                covered -= 1
                continue
            span = spans.get((r, c), 1)
            cell = TableCell(valuetype="string", numbercolumnsspanned=span) if span > 1 else TableCell(valuetype="string")
            cell.addElement(P(text=text))
            row.addElement(cell)
            covered = span - 1
        table.addElement(row)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def write_xls(path: Path, sheets: dict[str, list[list[object]]], merged: dict[str, list[tuple[int, int, int, int]]] | None = None) -> Path:
    """An Excel 97-2003 workbook; `merged`: (first row, last row, first column, last column) per sheet,
    0-based, the text of each merged range in its first cell of `sheets`."""
    import datetime as dt

    import xlwt

    book = xlwt.Workbook()
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        spans = {(r0, c0): (r1, c1) for r0, r1, c0, c1 in (merged or {}).get(name, [])}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if (r, c) in spans:
                    sheet.write_merge(r, spans[r, c][0], c, spans[r, c][1], value)
                elif value is not None and not any(r0 <= r <= r1 and c0 < c <= c1 for (r0, c0), (r1, c1) in spans.items()):
                    sheet.write(r, c, value, dates) if isinstance(value, dt.date) else sheet.write(r, c, value)
    book.save(str(path))
    return path
