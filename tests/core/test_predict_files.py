"""`predict_csv` on the files analysts have: Excel exports in other encodings, and rows that do not parse."""

import pytest

from tests.core.test_predict import read_rows
from workbench.core.errors import WorkbenchError
from workbench.core.export.predict import Predictor, predict_csv


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
