"""ONNX export: the dynamo exporter works for every task head, onnxruntime matches PyTorch on
validation rows and on batches of other shapes, int8 is reported, and a wrong model is caught."""

import json

import pytest
import torch

from workbench.core.errors import WorkbenchError
from workbench.core.export.folder import validation_rows
from workbench.core.export.onnx import OnnxModel, check_parity, export_onnx
from workbench.core.export.predict import SavedModel

TASKS = ["single_label", "pair", "multi_label", "token"]


def pytorch_model(saved):
    from transformers import AutoTokenizer

    from workbench.core.data.encoding import PaddingCollator
    from workbench.core.model.heads import auto_class

    tokenizer = AutoTokenizer.from_pretrained(saved.path)
    return auto_class(saved.task).from_pretrained(saved.path).eval(), tokenizer, PaddingCollator(tokenizer, saved.task)


@pytest.mark.parametrize("task", TASKS)
def test_every_task_exports_and_matches_pytorch(trained_run, tmp_path, task):
    run_dir = trained_run(task)
    saved = SavedModel.read(run_dir / "model")
    int8 = task in ("single_label", "token")
    report = export_onnx(saved.path, tmp_path, saved.task, saved.label_names, validation_rows(run_dir, saved), int8=int8)

    assert report.max_abs_diff < 1e-3 and report.rows_checked > 0
    assert set(report.files) == {"model.onnx", "onnx_report.json"} | ({"model.int8.onnx"} if int8 else set())
    assert all((tmp_path / name).is_file() for name in report.files)
    saved_report = json.loads((tmp_path / "onnx_report.json").read_text())
    assert saved_report["max_abs_diff"] == report.max_abs_diff and saved_report["files"] == report.files
    assert {"accuracy", "f1"} <= set(report.fp32_metrics)
    onnx = OnnxModel(tmp_path / "model.onnx")
    assert ("token_type_ids" in onnx.input_names) == ("token_type_ids" in validation_rows(run_dir, saved).column_names)
    if int8:
        assert set(report.int8_delta) == set(report.fp32_metrics) and report.speedup > 0
        assert "int8 accuracy" in report.summary() and "x faster" in report.summary()
    else:
        assert report.int8_delta is None and "int8" not in report.summary()

    # Batch and sequence axes are dynamic: one short row alone, then three long ones.
    model, tokenizer, collator = pytorch_model(saved)
    long_text = " ".join(["the movie was good and the plot was great"] * 4)
    if task == "token":
        rows = [dict(tokenizer("john")), *[dict(tokenizer(long_text))] * 3]
    else:
        pair = "the plot was bad" if task == "pair" else None
        rows = [dict(tokenizer("good", pair)), *[dict(tokenizer(long_text, pair))] * 3]
    for batch in (rows[:1], rows[1:]):
        diff, _ = check_parity(onnx, model, batch, collator)
        assert diff < 1e-3


def test_an_onnx_file_of_another_model_fails_the_parity_check(trained_run, tmp_path):
    saved = SavedModel.read(trained_run("single_label") / "model")
    rows = validation_rows(saved.path.parent, saved)
    export_onnx(saved.path, tmp_path, saved.task, saved.label_names, rows)
    other, _, collator = pytorch_model(saved)
    with torch.no_grad():  # the same model with its head's bias moved by 0.01: a different model
        other.classifier.bias += 0.01
    with pytest.raises(WorkbenchError, match=r"The ONNX model .*model\.onnx does not match PyTorch: its logits differ "
                                             r"by up to 0\.01 \(the limit is 0\.001\)\.$"):
        check_parity(OnnxModel(tmp_path / "model.onnx"), other, list(rows), collator)


def test_no_validation_rows_is_one_sentence(trained_run, tmp_path):
    saved = SavedModel.read(trained_run("single_label") / "model")
    rows = validation_rows(saved.path.parent, saved).select([])
    with pytest.raises(WorkbenchError, match="There are no validation rows to check the ONNX export of"):
        export_onnx(saved.path, tmp_path, saved.task, saved.label_names, rows)
