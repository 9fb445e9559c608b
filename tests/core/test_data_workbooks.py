"""Excel and OpenDocument workbooks as data sources: real files, written by openpyxl and pandas' odf writer."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from tests.core.workbook_files import with_cached_values, write_ods, write_ods_rows, write_xls, write_xlsx
from workbench.core.config import DataConfig, RunConfig
from workbench.core.data import load_raw, prepare
from workbench.core.errors import WorkbenchError
from workbench.core.filetypes import file_dialog_filter

REVIEWS = [["text", "label"]] + [[f"the film was {word} {i}", word] for i, word in enumerate(["good", "bad"] * 6)]
LIBRARY_WORDS = ("calamine", "Zip", "zip", "EOCD", "XmlError", "CalamineError")


def refusal(source: Path, sheet: str | None = None) -> str:
    with pytest.raises(WorkbenchError) as raised:
        load_raw(str(source), sheet)
    message = str(raised.value)
    assert str(source) in message and message.endswith(".") and message.count(". ") == 0, message
    return message


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_file_dialog_offers_workbooks():
    assert all(f"*{ext}" in file_dialog_filter() for ext in (".xlsx", ".xlsm", ".xls", ".ods"))


def test_a_one_sheet_xlsx_loads_like_a_csv_and_is_not_modified(tmp_path):
    path = write_xlsx(tmp_path / "reviews.xlsx", {"Sheet1": REVIEWS})
    before = digest(path)
    raw = load_raw(str(path))
    assert list(raw) == ["train"] and raw["train"].column_names == ["text", "label"]
    assert raw["train"]["label"][:2] == ["good", "bad"] and len(raw["train"]) == 12
    assert raw.sheet_notes() == []  # one sheet: nothing to say
    assert digest(path) == before


def test_a_second_sheet_is_picked_by_data_sheet_end_to_end_through_prepare(tmp_path):
    other = [["text", "label"]] + [[f"a note {i}", "x" if i % 2 else "y"] for i in range(10)]
    path = write_xlsx(tmp_path / "book.xlsx", {"notes": other, "reviews": REVIEWS, "empty": []})
    first = prepare(DataConfig(str(path)), "single_label")
    assert first.label_names == ["x", "y"]
    assert first.sheet_notes == [f"Read the sheet 'notes' of {path}; it also has the sheets 'reviews' and 'empty' "
                                 "(data.sheet names the sheet to read)."]
    second = prepare(DataConfig(str(path), sheet="reviews"), "single_label")
    assert second.label_names == ["bad", "good"] and sum(second.split_counts().values()) == 12
    assert second.sheet_notes[0].startswith(f"Read the sheet 'reviews' of {path}; it also has the sheets 'notes' and 'empty'")
    config = RunConfig(data=DataConfig(str(path), sheet="reviews"))
    assert RunConfig.from_dict(config.to_dict()).data.sheet == "reviews"  # saved and read back in a run config
    config.data.sheet = " "
    assert "data.sheet is empty: name a sheet of the workbook, or leave it out (null) to read the first sheet." in config.validate()


def test_the_default_sheet_is_the_first_that_holds_cells(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {"cover": [], "data": REVIEWS})
    assert load_raw(str(path)).sheet_of("train") == "data"


def test_sheets_named_train_validation_test_are_the_splits(tmp_path):
    rows = {name: [["text", "label"]] + [[f"{name} {i}", i % 2] for i in range(n)]
            for name, n in (("Train", 8), ("validation", 3), ("test", 2))}
    path = write_xlsx(tmp_path / "splits.xlsx", {**rows, "readme": [["about this data"]]})
    raw = load_raw(str(path))
    assert {split: len(raw[split]) for split in raw} == {"train": 8, "validation": 3, "test": 2}
    assert raw["validation"]["text"][0] == "validation 0"
    assert raw.sheet_notes() == [f"Read the sheets of {path} as splits: 'Train' as the train split, 'validation' as "
                                 "the validation split, 'test' as the test split; it also has the sheet 'readme', not read."]
    prepared = prepare(DataConfig(str(path)), "single_label")
    assert prepared.split_counts() == {"train": 8, "validation": 3, "test": 2}
    assert list(load_raw(str(path), "test")) == ["train"]  # a sheet named: that sheet alone, as train


def test_an_ods_workbook_with_several_sheets(tmp_path):
    train = pd.DataFrame({"text": [f"row {i}" for i in range(6)], "label": [1, 2, 1, 2, 1, 2],
                          "day": [dt.date(2024, 1, i + 1) for i in range(6)]})
    path = write_ods(tmp_path / "book.ods", {"first": train, "second": train.assign(label=["a", "b"] * 3)})
    raw = load_raw(str(path))
    assert raw["train"].features["label"].dtype == "int64"  # 1.0 in the file: whole numbers stay whole
    assert raw["train"]["day"][:2] == ["2024-01-01", "2024-01-02"]
    assert load_raw(str(path), "second")["train"]["label"][:2] == ["a", "b"]
    assert prepare(DataConfig(str(path)), "single_label").label_names == ["1", "2"]


def test_an_old_xls_workbook(tmp_path):
    """.xls (Excel 97-2003, written by xlwt): sheets, a merged header, numbers and dates as labels. A
    formula xlwt writes has no saved value and is read as empty: calamine tells no formulas in .xls
    files, which Excel always saves with their values."""
    import xlwt

    rows = [["text", "label", "part", None]] + [[f"row {i}", i % 2, f"a{i}", f"b{i}"] for i in range(6)]
    rows += [["dated", dt.date(2024, 1, 2), "a", "b"], ["formula", xlwt.Formula("1+1"), "a", "b"]]
    path = write_xls(tmp_path / "old.xls", {"first": rows, "second": REVIEWS}, merged={"first": [(0, 0, 2, 3)]})
    raw = load_raw(str(path))
    assert raw["train"].column_names == ["text", "label", "part", "part.1"]
    assert raw["train"]["label"] == ["0", "1", "0", "1", "0", "1", "2024-01-02", None]
    assert raw.sheet_notes() == [f"Read the sheet 'first' of {path}; it also has the sheet 'second' (data.sheet names "
                                 "the sheet to read)."]
    assert prepare(DataConfig(str(path), sheet="second"), "single_label").label_names == ["bad", "good"]


def test_numbers_dates_and_booleans_read_as_an_analyst_sees_them(tmp_path):
    rows = [["text", "label", "stars", "score", "when", "flag"],
            ["a", 3, 4, 0.5, dt.date(2024, 1, 31), True],
            ["b", "pos", 5, 1, dt.datetime(2024, 1, 31, 9, 30), False],
            ["c", 2.0, None, 0.25, dt.datetime(2024, 2, 1, 0, 0), None]]
    raw = load_raw(str(write_xlsx(tmp_path / "types.xlsx", {"s": rows})))["train"]
    assert raw["label"] == ["3", "pos", "2"]  # a mixed column is text, numbers as Excel shows them
    assert raw.features["stars"].dtype == "int64" and raw["stars"] == [4, 5, None]
    assert raw.features["score"].dtype == "float64" and raw["score"] == [0.5, 1.0, 0.25]
    assert raw["when"] == ["2024-01-31", "2024-01-31 09:30", "2024-02-01"]
    assert raw["flag"] == ["TRUE", "FALSE", None]


def test_dates_as_labels(tmp_path):
    rows = [["text", "month"]] + [[f"row {i}", dt.date(2024, 1 + i % 2, 1)] for i in range(10)]
    prepared = prepare(DataConfig(str(write_xlsx(tmp_path / "d.xlsx", {"s": rows})), label_column="month"), "single_label")
    assert prepared.label_names == ["2024-01-01", "2024-02-01"]


def test_a_merged_header_names_its_columns_as_pandas_names_repeats(tmp_path):
    rows = [["id", "review", None, "label", None]] + [[i, f"title {i}", f"body {i}", "good" if i % 2 else "bad", None]
                                                      for i in range(6)]
    path = write_xlsx(tmp_path / "merged.xlsx", {"s": rows}, merged={"s": ["B1:C1", "D1:E1"]})
    raw = load_raw(str(path))["train"]
    assert raw.column_names == ["id", "review", "review.1", "label"]  # E holds nothing: dropped
    assert raw["review.1"][0] == "body 0"


def test_a_merged_header_in_an_ods_workbook(tmp_path):
    rows = [["review", "", "label"]] + [[f"title {i}", f"body {i}", "good" if i % 2 else "bad"] for i in range(4)]
    path = write_ods_rows(tmp_path / "merged.ods", "s", rows, spans={(0, 0): 2})
    raw = load_raw(str(path))["train"]
    assert raw.column_names == ["review", "review.1", "label"] and raw["review.1"][1] == "body 1"


def test_a_column_without_a_header_is_named_as_pandas_names_it(tmp_path):
    path = tmp_path / "indexed.xlsx"
    pd.DataFrame({"text": ["a", "b", "c"], "label": ["x", "y", "x"]}).to_excel(path, engine="openpyxl")  # index=True
    assert load_raw(str(path))["train"].column_names == ["Unnamed: 0", "text", "label"]


def test_a_table_away_from_a1_with_blank_rows(tmp_path):
    rows = [[], [], [None, "text", "label"]] + [[None, f"row {i}", "x" if i % 2 else "y"] for i in range(4, 13)]
    rows[6], rows[9][2] = [], None  # sheet row 7 left blank, no label on sheet row 10
    path = write_xlsx(tmp_path / "offset.xlsx", {"s": rows})
    raw = load_raw(str(path))
    assert raw["train"].column_names == ["text", "label"] and raw["train"]["text"][:4] == ["row 4", "row 5", "row 6", "row 8"]
    assert raw.sheets["train"].rows == (4, 5, 6, 8, 9, 10, 11, 12)
    with pytest.raises(WorkbenchError) as raised:  # the missing label is named by its row on the sheet
        prepare(DataConfig(str(path), validation_fraction=0.25), "single_label")
    assert str(raised.value) == f"Row 10 of the sheet 's' of {path} has no label in column 'label'."


def test_formula_cells_give_their_saved_values(tmp_path):
    rows = [["text", "first", "label"]] + [[f"=B{i}&\" film\"", f"row {i}", f"=IF(MOD({i},2)=0,\"even\",\"odd\")"]
                                           for i in range(2, 8)]
    path = write_xlsx(tmp_path / "formulas.xlsx", {"s": rows})
    with_cached_values(path, 1, {**{f"A{i}": f"row {i} film" for i in range(2, 8)},
                                 **{f"C{i}": "even" if i % 2 == 0 else "odd" for i in range(2, 8)}})
    raw = load_raw(str(path))["train"]
    assert raw["text"][0] == "row 2 film" and raw["label"][:2] == ["even", "odd"]


def test_a_formula_saved_without_its_value_is_refused_naming_the_cell(tmp_path):
    """openpyxl saves formulas with no value, as do many exporters; calamine reads such a cell as empty,
    which would lose a label silently, so the first one is named instead."""
    rows = [["text", "label"], ["a", "x"], ["b", "y"], ["c", "=B2"]]
    path = write_xlsx(tmp_path / "uncached.xlsx", {"data": rows})
    assert refusal(path) == (
        f"Cell B4 of the sheet 'data' of {path} holds a formula saved without its value (the program that wrote the file "
        "does not calculate formulas); open the file in Excel or LibreOffice and save it again, which stores every "
        "formula's value.")


def test_an_error_cell_is_read_as_empty_and_noted(tmp_path):
    rows = [["text", "label", "lookup"]] + [[f"row {i}", i % 2, "=NA()"] for i in range(2, 8)]
    path = write_xlsx(tmp_path / "errors.xlsx", {"s": rows})
    with_cached_values(path, 1, {f"C{i}": "#N/A" for i in range(2, 8)}, errors=True)
    raw = load_raw(str(path))
    assert raw["train"]["lookup"] == [None] * 6
    assert raw.notes == [f"Cell C2 of the sheet 's' of {path} holds the error #N/A, read as an empty cell "
                         "(and 5 more cells with errors)."]
    assert raw.notes[0] in prepare(DataConfig(str(path)), "single_label").notes


def test_an_empty_sheet_and_a_header_alone_are_refused_naming_the_sheet(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {"data": REVIEWS, "Blank": [], "header": [["text", "label"]]})
    assert refusal(path, "Blank") == f"The sheet 'Blank' of {path} is empty; pick a sheet that holds the header and rows."
    assert refusal(path, "header") == (f"The sheet 'header' of {path} has no data rows under its header (row 1); put one "
                                       "record on each row below the header.")
    assert refusal(path, "nope") == (f"The workbook {path} has no sheet 'nope' (its sheets: 'data', 'Blank', 'header'); "
                                     "set data.sheet to one of them.")
    empty = write_xlsx(tmp_path / "empty.xlsx", {"a": [], "b": []})
    assert refusal(empty) == f"The workbook {empty} holds no cells in any sheet; put the header and rows in its first sheet."


def test_a_column_named_twice_is_refused_naming_both_cells(tmp_path):
    path = write_xlsx(tmp_path / "twice.xlsx", {"s": [["text", "label", "text"], ["a", "b", "c"]]})
    assert refusal(path) == f"The sheet 's' of {path} has the column 'text' twice, in cells A1 and C1; rename one of them."


@pytest.mark.parametrize("make, expected", [
    (lambda whole: whole[: len(whole) // 2], "could not be read (it is damaged or cut short"),
    (lambda whole: b"text,label\na,b\n", "holds plain text, not a workbook, although it is named .xlsx; rename it to .csv"),
    (lambda whole: b"<html><table><tr><td>text</td></tr></table></html>", "holds a web page (HTML), not a workbook"),
    (lambda whole: "text\tlabel\na\tb\n".encode("utf-16"), "holds plain text, not a workbook"),
])
def test_a_damaged_or_misnamed_workbook_is_one_sentence(tmp_path, make, expected):
    whole = write_xlsx(tmp_path / "whole.xlsx", {"s": REVIEWS}).read_bytes()
    path = tmp_path / "bad.xlsx"
    path.write_bytes(make(whole))
    message = refusal(path)
    assert expected in message
    assert not [words for words in LIBRARY_WORDS if words in message], message


def test_data_sheet_on_a_csv_is_refused(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("text,label\na,b\n")
    assert refusal(path, "reviews") == (f"data.sheet is 'reviews', but {path} is not a workbook (.xlsx, .xlsm, .xls or .ods); "
                                        "clear data.sheet or choose a workbook.")


def test_a_folder_of_split_workbooks(tmp_path):
    write_xlsx(tmp_path / "train.xlsx", {"first": [["x"], [1]], "reviews": REVIEWS})
    write_xlsx(tmp_path / "validation.xlsx", {"first": [["x"], [1]], "reviews": REVIEWS[:5]})
    raw = load_raw(str(tmp_path), "reviews")
    assert {split: len(raw[split]) for split in raw} == {"train": 12, "validation": 4}
    assert raw.sheet_of("validation") == "reviews"
    assert load_raw(str(tmp_path))["train"].column_names == ["x"]  # no sheet named: each file's first
    (tmp_path / "test.csv").write_text("text,label\na,good\n")
    assert list(load_raw(str(tmp_path), "reviews")) == ["train", "validation", "test"]  # a CSV beside them is read as it is


def test_the_run_log_says_which_sheet_was_read(tiny_config, tmp_path):
    """`workbench train` on a workbook: the first sheet, and the run log names it and the others."""
    import csv

    from workbench.core.events import MessageLogged
    from workbench.core.training.run import prepare_run

    with open(tiny_config.data.source, newline="", encoding="utf-8") as handle:
        rows = [row if i == 0 else [row[0], int(row[1])] for i, row in enumerate(csv.reader(handle))]
    path = write_xlsx(tmp_path / "sentiment.xlsx", {"reviews": rows, "about": [["written by hand"]]})
    tiny_config.data.source = str(path)
    said = []
    prepared = prepare_run(tiny_config, said.append)
    assert prepared.data.label_names == ["0", "1"]
    lines = [event.text for event in said if isinstance(event, MessageLogged)]
    assert f"Read the sheet 'reviews' of {path}; it also has the sheet 'about' (data.sheet names the sheet to read)." in lines
