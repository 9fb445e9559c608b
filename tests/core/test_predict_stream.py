"""`workbench predict` streamed: JSON Lines and Parquet in and out, windows in input order, progress,
a stop that leaves a valid partial file (and Ctrl-C sent to a real process), ONNX and int8."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.core.test_predict import read_rows, write_rows
from workbench.core.errors import WorkbenchError
from workbench.core.export.predict import Predictor
from workbench.core.export.predict_files import predict_file

WORDS = ("good", "awful", "great", "bad", "nice", "poor")
# lengths that differ, so length-sorted batches within a window reorder the rows
TEXTS = [f"the movie was {word}" + " and the plot was very good" * (i % 4) for i, word in enumerate(WORDS * 4)]


@pytest.fixture(scope="module")
def model_dir(trained_run):
    return trained_run("single_label") / "model"


@pytest.fixture(scope="module")
def expected(model_dir):
    return Predictor.load(model_dir).predict(TEXTS)


def read_parquet(path):
    import pyarrow.parquet as pq

    return pq.read_table(path)


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_json_lines_in_and_out_keep_their_values_and_the_row_order(model_dir, expected, tmp_path):
    source = tmp_path / "in.jsonl"
    records = [{"id": i, "text": text, "meta": {"stars": i % 5}, "score": None if i % 3 else 0.5}
               for i, text in enumerate(TEXTS)]
    source.write_text("".join(json.dumps(r) + "\n" + ("\n" if i == 3 else "") for i, r in enumerate(records)), encoding="utf-8")
    seen = []
    done = predict_file(model_dir, source, tmp_path / "out.jsonl", window_rows=5, progress=lambda n, total: seen.append((n, total)))
    assert (done.rows, done.total, done.stopped) == (len(TEXTS), len(TEXTS), False)
    assert seen == [(n, len(TEXTS)) for n in (5, 10, 15, 20, 24)]
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [{k: v for k, v in row.items() if k not in ("label", "confidence")} for row in out] == records
    assert [row["label"] for row in out] == [p.label for p in expected]
    assert [row["confidence"] for row in out] == pytest.approx([p.confidence for p in expected], abs=1e-5)


def test_parquet_in_and_out_keeps_its_types_and_a_csv_output_holds_text(model_dir, expected, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = pa.array([None if i == 2 else i for i in range(len(TEXTS))], pa.int64())  # integers with a null
    pq.write_table(pa.table({"id": ids, "text": TEXTS, "day": pa.array([19000 + i for i in range(len(TEXTS))], pa.date32())}),
                   tmp_path / "in.parquet", row_group_size=7)
    assert predict_file(model_dir, tmp_path / "in.parquet", tmp_path / "out.parquet", window_rows=4).rows == len(TEXTS)
    table = read_parquet(tmp_path / "out.parquet")
    assert table.schema.names == ["id", "text", "day", "label", "confidence"]
    assert table.schema.field("id").type == pa.int64() and table.schema.field("day").type == pa.date32()
    assert table.column("id").to_pylist() == ids.to_pylist()
    assert table.column("label").to_pylist() == [p.label for p in expected]

    predict_file(model_dir, tmp_path / "in.parquet", tmp_path / "out.csv", window_rows=4)
    rows = read_rows(tmp_path / "out.csv")
    assert (rows[1]["id"], rows[2]["id"], rows[0]["day"]) == ("1", "", str(dt.date(1970, 1, 1) + dt.timedelta(19000)))
    assert [row["label"] for row in rows] == [p.label for p in expected]


def test_a_csv_in_and_parquet_or_json_lines_out(model_dir, expected, tmp_path):
    source = write_rows(tmp_path / "in.csv", ["id", "text"], [(f"00{i}", t) for i, t in enumerate(TEXTS)])
    predict_file(model_dir, source, tmp_path / "out.parquet", window_rows=7)
    table = read_parquet(tmp_path / "out.parquet")
    assert table.column("id").to_pylist()[:2] == ["000", "001"]  # CSV cells stay text
    assert table.column("label").to_pylist() == [p.label for p in expected]
    predict_file(model_dir, source, tmp_path / "out.jsonl")
    assert [row["id"] for row in read_jsonl(tmp_path / "out.jsonl")][:2] == ["000", "001"]


def test_json_lines_that_are_not_objects_or_change_their_keys_are_named(model_dir, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "good"}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(WorkbenchError, match=r"in\.jsonl line 2 is not a JSON object"):
        predict_file(model_dir, source, tmp_path / "out.jsonl")
    source.write_text('{"text": "good"}\n{"text": "bad", "id": 2}\n', encoding="utf-8")
    with pytest.raises(WorkbenchError, match=r"in\.jsonl line 2 has the key 'id', which the first line does not have"):
        predict_file(model_dir, source, tmp_path / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".xlsx"])
def test_a_stop_leaves_a_valid_file_of_the_rows_predicted(model_dir, expected, tmp_path, suffix):
    source = write_rows(tmp_path / "in.csv", ["id", "text"], [(i, t) for i, t in enumerate(TEXTS)])
    windows = []
    done = predict_file(model_dir, source, tmp_path / f"out{suffix}", window_rows=5,
                        progress=lambda n, total: windows.append(n), stop=lambda: len(windows) == 2)
    assert (done.rows, done.total, done.stopped) == (10, len(TEXTS), True)
    assert done.sentence() == (f"Stopped: {tmp_path / f'out{suffix}'} holds the first 10 of {len(TEXTS)} rows with their "
                               "predictions (a complete file; run predict again for all of them)")
    out = tmp_path / f"out{suffix}"
    if suffix == ".csv":
        labels, ids = [r["label"] for r in read_rows(out)], [r["id"] for r in read_rows(out)]
    elif suffix == ".jsonl":
        labels, ids = [r["label"] for r in read_jsonl(out)], [r["id"] for r in read_jsonl(out)]
    elif suffix == ".parquet":
        labels, ids = read_parquet(out).column("label").to_pylist(), read_parquet(out).column("id").to_pylist()
    else:
        from tests.core.test_predict_files import read_xlsx

        cells = read_xlsx(out)[1]
        assert cells[0] == ["id", "text", "label", "confidence"]
        labels, ids = [row[2] for row in cells[1:]], [row[0] for row in cells[1:]]
    assert ids == [str(i) for i in range(10)] and labels == [p.label for p in expected[:10]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", f"out{suffix}"]


def test_onnx_and_int8_predict_what_pytorch_does(trained_run, tmp_path, expected):
    from workbench.core.export.folder import export_run

    folder = export_run(trained_run("single_label"), tmp_path / "export", int8=True).dest
    onnx = Predictor.load(folder, "onnx")
    assert onnx.how == "onnxruntime on the CPU, model.onnx"
    ours = onnx.predict(TEXTS)
    assert [p.label for p in ours] == [p.label for p in expected]
    assert [p.confidence for p in ours] == pytest.approx([p.confidence for p in expected], abs=1e-4)
    int8 = Predictor.load(folder, "int8").predict(TEXTS)
    assert len(int8) == len(TEXTS) and {p.label for p in int8} <= set(onnx.label_names)
    source = write_rows(tmp_path / "in.csv", ["text"], [(t,) for t in TEXTS])
    assert predict_file(folder, source, tmp_path / "out.csv", backend="onnx").rows == len(TEXTS)
    assert [r["label"] for r in read_rows(tmp_path / "out.csv")] == [p.label for p in expected]

    (folder / "model.int8.onnx").unlink()
    with pytest.raises(WorkbenchError, match=r"has no model\.int8\.onnx; export the run with --int8"):
        Predictor.load(folder, "int8")


def test_the_torch_predictor_computes_the_last_layer_for_the_first_token_only(model_dir, expected):
    import torch

    predictor = Predictor.load(model_dir)
    assert "forward" in vars(predictor.model.bert.encoder.layer[-1])  # the first-token layer is in place
    assert predictor.how.endswith("fp32 (as asked), the last layer for the first token only")
    from transformers import AutoModelForSequenceClassification

    plain = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    batch = predictor.tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.inference_mode():
        assert torch.allclose(predictor.model(**batch).logits, plain(**batch).logits, atol=1e-5)


def test_bf16_is_asked_for_or_measured(model_dir, monkeypatch):
    from workbench.core.model import device

    bf16 = Predictor.load(model_dir, precision="bf16")
    if device.cpu_supports_bf16():
        assert bf16.precision == "bf16" and "bf16 (as asked)" in bf16.how
        assert len(bf16.predict(TEXTS)) == len(TEXTS)
    monkeypatch.setattr(device, "cpu_supports_bf16", lambda: False)
    assert Predictor.load(model_dir, precision="auto").precision == "fp32"
    with pytest.raises(WorkbenchError, match="The precision 'fp16' is not one of fp32, bf16, auto"):
        Predictor.load(model_dir, precision="fp16")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_ctrl_c_leaves_a_valid_partial_output_and_says_how_many_rows(model_dir, tmp_path, suffix):
    rows = 200_000  # far more than the tiny model predicts before the signal
    source = tmp_path / "big.csv"
    with open(source, "w", encoding="utf-8") as handle:
        handle.write("id,text\n")
        handle.writelines(f"{i},{TEXTS[i % len(TEXTS)]}\n" for i in range(rows))
    output = tmp_path / f"out{suffix}"
    process = subprocess.Popen([sys.executable, "-m", "workbench", "predict", str(model_dir), str(source), "-o", str(output)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not any(p.stat().st_size > 0 for p in tmp_path.glob(f".out{suffix}.tmp-*")):  # the first window is written
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1][-2000:]
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 130, stderr[-2000:]
    said = stdout.strip().splitlines()[-1]
    prefix = f"Stopped: {output} holds the first "
    assert said.startswith(prefix) and said.endswith(f" of {rows:,} rows with their predictions (a complete file; "
                                                     "run predict again for all of them)"), said
    held = int(said[len(prefix):].split(" of ")[0].replace(",", ""))
    assert 0 < held < rows
    if suffix == ".csv":
        ids = [row["id"] for row in read_rows(output)]
        assert all(row["label"] for row in read_rows(output))
    else:
        table = read_parquet(output)  # a Parquet file with its footer
        ids = table.column("id").to_pylist()
        assert None not in table.column("label").to_pylist()
    assert ids == [str(i) for i in range(held)]
    assert "Stopping after the rows being predicted now" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv", output.name]
