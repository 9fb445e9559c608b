"""`predict_csv` on the files analysts have: Excel exports in other encodings, and rows that do not parse."""

import pytest

from tests.core.test_predict import read_rows
from workbench.core.errors import WorkbenchError
from workbench.core.export.predict import Predictor
from workbench.core.export.predict_files import predict_csv


@pytest.mark.parametrize("codec", ["cp1252", "utf-16", "utf-8-sig"])
def test_an_excel_export_is_predicted_in_its_own_encoding(trained_run, tmp_path, codec):
    model_dir = trained_run("single_label") / "model"
    texts = [f"the movie was {word} – très {word}" for word in ("good", "awful", "great", "bad")] * 3
    source = tmp_path / "export.csv"
    source.write_bytes(("text,note\r\n" + "".join(f"{t},café\r\n" for t in texts)).encode(codec))
    before = source.read_bytes()
    assert predict_csv(model_dir, source, tmp_path / "out.csv", batch_rows=5) == len(texts)
    out = read_rows(tmp_path / "out.csv")
    assert [row["text"] for row in out] == texts and {row["note"] for row in out} == {"café"}
    assert [row["label"] for row in out] == [p.label for p in Predictor.load(model_dir).predict(texts)]
    assert source.read_bytes() == before


def test_a_row_with_too_many_fields_is_named_and_nothing_is_written(trained_run, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\n" + "the movie was good\n" * 9 + "good, bad\n", encoding="utf-8")
    with pytest.raises(WorkbenchError) as raised:
        predict_csv(trained_run("single_label") / "model", source, tmp_path / "out.csv", batch_rows=4)
    assert str(raised.value) == (f"{source} line 11 has 2 fields where the header has 1; put quotes around fields "
                                 "that hold the comma delimiter, or fix that line.")
    assert list(tmp_path.iterdir()) == [source]


def test_a_missing_input_is_one_sentence(trained_run, tmp_path):
    with pytest.raises(WorkbenchError, match=r"^The input .*nope\.csv does not exist\.$"):
        predict_csv(trained_run("single_label") / "model", tmp_path / "nope.csv", tmp_path / "out.csv")


# --- workbooks in and out ------------------------------------------------------------------------

TEXTS = [f"the movie was {word}" for word in ("good", "awful", "great", "bad", "nice")] * 2


def read_xlsx(path):
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return book.sheetnames, [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def test_a_workbook_sheet_in_and_an_xlsx_out_keeps_numbers_and_dates(trained_run, tmp_path):
    import datetime as dt

    from tests.core.workbook_files import write_xlsx

    model_dir = trained_run("single_label") / "model"
    rows = [["id", "text", "day"]] + [[i, text, dt.date(2024, 3, 1 + i)] for i, text in enumerate(TEXTS)]
    source = write_xlsx(tmp_path / "in.xlsx", {"cover": [["about these reviews"]], "reviews": rows})
    before = source.read_bytes()
    said = []
    assert predict_csv(model_dir, source, tmp_path / "out.xlsx", sheet="reviews", batch_rows=4, say=said.append) == len(TEXTS)
    assert source.read_bytes() == before
    assert said == [f"Read the sheet 'reviews' of {source}; it also has the sheet 'cover' (--sheet names the sheet to read)."]
    sheets, out = read_xlsx(tmp_path / "out.xlsx")
    expected = Predictor.load(model_dir).predict(TEXTS)
    assert sheets == ["reviews"] and out[0] == ["id", "text", "day", "label", "confidence"]
    assert [row[0] for row in out[1:]] == list(range(len(TEXTS)))  # numbers stay numbers
    assert out[1][2] == dt.datetime(2024, 3, 1)  # a date stays a date
    assert [row[3] for row in out[1:]] == [p.label for p in expected]
    assert [row[4] for row in out[1:]] == pytest.approx([p.confidence for p in expected], abs=1e-5)
    assert not list(tmp_path.glob(".out.xlsx.tmp*"))


def test_a_csv_in_and_an_xlsx_out(trained_run, tmp_path):
    model_dir = trained_run("single_label") / "model"
    source = tmp_path / "in.csv"
    source.write_text("text,note\n" + "".join(f"{t},007\n" for t in TEXTS), encoding="utf-8")
    assert predict_csv(model_dir, source, tmp_path / "out.xlsx") == len(TEXTS)
    sheets, out = read_xlsx(tmp_path / "out.xlsx")
    assert sheets == ["predictions"] and out[0] == ["text", "note", "label", "confidence"]
    assert out[1][:2] == [TEXTS[0], "007"]  # CSV cells are text, as written


def test_an_ods_sheet_in_and_a_csv_out_writes_cells_as_the_sheet_shows_them(trained_run, tmp_path):
    import datetime as dt

    import pandas as pd

    from tests.core.test_predict import read_rows
    from tests.core.workbook_files import write_ods

    frame = pd.DataFrame({"text": TEXTS, "stars": [float(i % 5) for i in range(len(TEXTS))],
                          "day": [dt.date(2024, 3, 1)] * len(TEXTS)})
    source = write_ods(tmp_path / "in.ods", {"Sheet1": frame})
    assert predict_csv(trained_run("single_label") / "model", source, tmp_path / "out.csv") == len(TEXTS)
    out = read_rows(tmp_path / "out.csv")
    assert (out[1]["text"], out[1]["stars"], out[1]["day"]) == (TEXTS[1], "1", "2024-03-01")


def test_workbook_outputs_other_than_xlsx_and_a_sheet_of_a_csv_are_refused(trained_run, tmp_path):
    model_dir = trained_run("single_label") / "model"
    source = tmp_path / "in.csv"
    source.write_text("text\ngood\n", encoding="utf-8")
    with pytest.raises(WorkbenchError) as raised:
        predict_csv(model_dir, source, tmp_path / "out.ods")
    assert str(raised.value) == (f"The output {tmp_path / 'out.ods'} would be a .ods workbook, which predict does not "
                                 "write; name an .xlsx, .csv, .jsonl or .parquet output.")
    with pytest.raises(WorkbenchError, match=r"^--sheet is 'reviews', but the input .*in\.csv is not a workbook"):
        predict_csv(model_dir, source, tmp_path / "out.xlsx", sheet="reviews")
    assert list(tmp_path.iterdir()) == [source]


def test_the_cli_predicts_a_workbook_sheet(trained_run, tmp_path, capsys):
    from tests.core.workbook_files import write_xlsx
    from workbench.cli import main

    source = write_xlsx(tmp_path / "in.xlsx", {"a": [["x"], [1]], "b": [["text"]] + [[t] for t in TEXTS]})
    model_dir = trained_run("single_label") / "model"
    assert main(["predict", str(model_dir), str(source), "-o", str(tmp_path / "out.xlsx"), "--sheet", "b"]) == 0
    captured = capsys.readouterr()
    assert f"Wrote {len(TEXTS)} predictions to {tmp_path / 'out.xlsx'}" in captured.out
    assert f"Read the sheet 'b' of {source}; it also has the sheet 'a'" in captured.err
    assert len(read_xlsx(tmp_path / "out.xlsx")[1]) == len(TEXTS) + 1
    assert main(["predict", str(model_dir), str(source), "-o", str(tmp_path / "out.csv"), "--sheet", "c"]) == 1
    assert "has no sheet 'c' (its sheets: 'a', 'b')" in capsys.readouterr().err
