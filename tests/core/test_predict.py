"""`workbench predict` and `predict_csv`: labels added, input kept, big files read in chunks."""

import csv
import json
import subprocess
import sys

import pytest

from tests.tiny_models import write_sentiment_csv
from workbench.core.errors import WorkbenchError
from workbench.core.export.predict import Predictor
from workbench.core.export.predict_files import predict_csv


def write_rows(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_predict_csv_adds_label_and_confidence_and_keeps_the_input(trained_run, tmp_path):
    model_dir = trained_run("single_label") / "model"
    texts = [f"the movie was {word}" for word in ("good", "awful", "great", "bad", "nice")] * 3
    source = write_rows(tmp_path / "in.csv", ["id", "review"], [(i, t) for i, t in enumerate(texts)])
    before = source.read_bytes()

    assert predict_csv(model_dir, source, tmp_path / "out.csv", text_column="review", batch_rows=4) == len(texts)

    assert source.read_bytes() == before
    out = read_rows(tmp_path / "out.csv")
    expected = Predictor.load(model_dir).predict(texts)
    assert [row["id"] for row in out] == [str(i) for i in range(len(texts))] and out[0]["review"] == texts[0]
    assert [row["label"] for row in out] == [p.label for p in expected]
    assert [float(row["confidence"]) for row in out] == pytest.approx([p.confidence for p in expected], abs=1e-5)
    assert not list(tmp_path.glob(".out.csv.tmp"))


def test_a_missing_column_is_named_and_nothing_is_written(trained_run, tmp_path):
    source = write_rows(tmp_path / "in.csv", ["review"], [("good",)])
    with pytest.raises(WorkbenchError, match=r"in\.csv has no column 'text' \(it has: review\)"):
        predict_csv(trained_run("single_label") / "model", source, tmp_path / "out.csv")
    with pytest.raises(WorkbenchError, match="is the input file"):
        predict_csv(trained_run("single_label") / "model", source, source, text_column="review")
    assert not (tmp_path / "out.csv").exists()


def test_the_cli_predicts_entities_for_a_token_model(trained_run, tmp_path):
    model_dir = trained_run("token") / "model"
    texts = ["john visited paris .", "mary works for acme corp"]
    source = write_rows(tmp_path / "in.csv", ["text"], [(t,) for t in texts])
    done = subprocess.run([sys.executable, "-m", "workbench", "predict", str(model_dir), str(source), "-o",
                           str(tmp_path / "out.csv")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Wrote 2 predictions" in done.stdout
    out = read_rows(tmp_path / "out.csv")
    expected = Predictor.load(model_dir).predict(texts)
    for row, prediction in zip(out, expected):
        spans = json.loads(row["entities"])
        assert [(s["type"], s["start"], s["end"]) for s in spans] == [(s.type, s.start, s.end) for s in prediction.spans]
        assert all(row["text"][s["start"] : s["end"]] == s["text"] for s in spans)


def test_the_cli_says_which_folder_holds_no_model(tmp_path):
    source = write_rows(tmp_path / "in.csv", ["text"], [("good",)])
    done = subprocess.run([sys.executable, "-m", "workbench", "predict", str(tmp_path), str(source), "-o",
                           str(tmp_path / "out.csv")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == f"Error: {tmp_path} holds no model (its config.json is missing or unreadable)."


def test_a_gold_label_column_is_kept_beside_the_predicted_one(trained_run, tmp_path):
    source = write_sentiment_csv(tmp_path / "sentiment.csv", rows=10)
    assert predict_csv(trained_run("single_label") / "model", source, tmp_path / "out.csv") == 10
    out = read_rows(tmp_path / "out.csv")
    assert list(out[0]) == ["text", "label", "predicted_label", "confidence"]
    assert [row["label"] for row in out] == [row["label"] for row in read_rows(source)]


def test_a_csv_with_no_rows_gives_the_header(trained_run, tmp_path):
    source = write_rows(tmp_path / "in.csv", ["id", "text"], [])
    assert predict_csv(trained_run("single_label") / "model", source, tmp_path / "out.csv") == 0
    assert (tmp_path / "out.csv").read_text().strip() == "id,text,label,confidence"


def test_a_pair_model_needs_the_second_column(trained_run, tmp_path):
    model_dir = trained_run("pair") / "model"
    source = write_rows(tmp_path / "in.csv", ["a", "b"], [("the movie was good", "the plot was bad")])
    with pytest.raises(WorkbenchError, match=r"is a sentence-pair model; name the column of .*in\.csv that holds "
                                             r"the second texts \(--pair-column\)\.$"):
        predict_csv(model_dir, source, tmp_path / "out.csv", text_column="a")
    predict_csv(model_dir, source, tmp_path / "out.csv", text_column="a", pair_column="b")
    expected = Predictor.load(model_dir).predict(["the movie was good"], ["the plot was bad"])[0]
    assert read_rows(tmp_path / "out.csv")[0]["label"] == expected.label
