"""ONNX export of a trained model, checked against PyTorch at export time, with optional dynamic int8.

`export_onnx` writes `model.onnx` (inputs input_ids, attention_mask[, token_type_ids]; output
logits; dynamic batch and sequence axes), runs onnxruntime and PyTorch on a bounded sample of
validation rows and fails when their logits differ by `PARITY_TOLERANCE` or more. With `int8` it
also writes `model.int8.onnx` (onnxruntime dynamic quantization) and reports the task metric and
latency of int8 against fp32 ONNX on the same batches.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.runs import write_json_atomic

OPSET = 20  # torch's dynamo exporter translates natively to 20; onnxruntime 1.32 runs up to 23
PARITY_TOLERANCE = 1e-3
SAMPLE_ROWS = 512
BATCH_SIZE = 32
TIMING_REPEATS = 3
ONNX_FILE, INT8_FILE, REPORT_FILE = "model.onnx", "model.int8.onnx", "onnx_report.json"
_PROTOBUF_LIMIT = 2**31  # a model over 2 GB keeps its weights in an external-data side file


@dataclass
class OnnxReport:
    files: list[str]  # names inside the export folder
    opset: int
    rows_checked: int
    max_abs_diff: float  # onnxruntime fp32 vs PyTorch logits
    fp32_metrics: dict[str, float]  # fp32 ONNX on the sample
    int8_metrics: dict[str, float] | None = None
    speedup: float | None = None  # fp32 ONNX latency / int8 latency over the same batches

    @property
    def int8_delta(self) -> dict[str, float] | None:
        """int8 minus fp32 for each metric."""
        if self.int8_metrics is None:
            return None
        return {name: self.int8_metrics[name] - value for name, value in self.fp32_metrics.items()}

    def summary(self) -> str:
        line = (f"ONNX opset {self.opset}: parity max |diff| {self.max_abs_diff:.2e} on {self.rows_checked} rows, "
                f"accuracy {self.fp32_metrics['accuracy']:.4f}, F1 {self.fp32_metrics['f1']:.4f}")
        if self.int8_metrics is not None:
            delta = self.int8_delta
            line += (f"; int8 accuracy {delta['accuracy']:+.4f}, F1 {delta['f1']:+.4f}, "
                     f"{self.speedup:.2f}x faster")
        return line

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "int8_delta": self.int8_delta}


def export_onnx(model_dir: Path, dest: Path, task: str, label_names: list[str], rows, int8: bool = False) -> OnnxReport:
    """Export `model_dir` to `dest`, check parity on the first `SAMPLE_ROWS` of `rows` (encoded validation rows)."""
    import torch
    from transformers import AutoTokenizer

    from workbench.core.heads import auto_class

    if len(rows) == 0:
        raise WorkbenchError(f"There are no validation rows to check the ONNX export of {model_dir} against.")
    dest.mkdir(parents=True, exist_ok=True)
    model = auto_class(task).from_pretrained(model_dir, dtype=torch.float32).eval()
    batches = sample_batches(rows, AutoTokenizer.from_pretrained(model_dir), task)
    files = write_onnx(model, batches[0], dest / ONNX_FILE)
    fp32 = OnnxRunner(dest / ONNX_FILE)
    max_diff = check_parity(fp32, model, batches)
    report = OnnxReport(files, OPSET, sum(len(b["labels"]) for b in batches), max_diff,
                        task_metrics(task, label_names, fp32.logits(batches), batches))
    if int8:
        quantize_int8(dest / ONNX_FILE, dest / INT8_FILE)
        quantized = OnnxRunner(dest / INT8_FILE)
        report.files.append(INT8_FILE)
        report.int8_metrics = task_metrics(task, label_names, quantized.logits(batches), batches)
        report.speedup = fp32.latency(batches) / quantized.latency(batches)
    report.files.append(REPORT_FILE)
    write_json_atomic(dest / REPORT_FILE, report.to_dict())
    return report


def sample_batches(rows, tokenizer, task: str) -> list[dict[str, Any]]:
    """The first `SAMPLE_ROWS` rows in padded batches of `BATCH_SIZE` (torch tensors, labels included)."""
    from workbench.core.encoding import PaddingCollator

    collate = PaddingCollator(tokenizer, task)
    sample = rows.select(range(min(len(rows), SAMPLE_ROWS)))
    return [collate(list(sample.select(range(start, min(start + BATCH_SIZE, len(sample))))))
            for start in range(0, len(sample), BATCH_SIZE)]


def write_onnx(model, example: dict[str, Any], path: Path) -> list[str]:
    """Export `model` with torch's dynamo exporter, inputs as in `example`; the names of the files written."""
    import torch

    inputs = {name: value[:2] for name, value in example.items() if name != "labels"}
    if len(example["labels"]) < 2:  # a size-1 example axis would be specialised to 1, so never dynamic
        inputs = {name: value.repeat(2, 1) for name, value in inputs.items()}
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    external = sum(p.numel() * p.element_size() for p in model.parameters()) >= _PROTOBUF_LIMIT
    with torch.no_grad():
        program = torch.onnx.export(
            model, (), kwargs=inputs, dynamo=True, opset_version=OPSET, output_names=["logits"],
            dynamic_shapes={name: {0: batch, 1: sequence} for name in inputs}, verbose=False,
        )
    program.save(path, external_data=external)
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of the MatMul/Gemm weights; activations are quantized per batch at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=True)


class OnnxRunner:
    """An onnxruntime CPU session, fed the model inputs of padded batches."""

    def __init__(self, path: Path):
        import onnxruntime

        self.path = path
        self.session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]

    def run(self, batch: dict[str, Any]) -> np.ndarray:
        return self.session.run(["logits"], {name: batch[name].numpy() for name in self.input_names})[0]

    def logits(self, batches: list[dict[str, Any]]) -> list[np.ndarray]:
        return [self.run(batch) for batch in batches]

    def latency(self, batches: list[dict[str, Any]]) -> float:
        """Best-of-`TIMING_REPEATS` seconds for one pass over `batches` (after one warm-up pass)."""
        self.logits(batches)
        best = float("inf")
        for _ in range(TIMING_REPEATS):
            start = time.perf_counter()
            self.logits(batches)
            best = min(best, time.perf_counter() - start)
        return best


def torch_logits(model, batches: list[dict[str, Any]]) -> list[np.ndarray]:
    import torch

    with torch.no_grad():
        return [model(**{k: v for k, v in batch.items() if k != "labels"}).logits.numpy() for batch in batches]


def check_parity(runner: OnnxRunner, model, batches: list[dict[str, Any]]) -> float:
    """The largest |onnxruntime - PyTorch| logit over `batches`; raises when it reaches `PARITY_TOLERANCE`."""
    diff = max(float(np.abs(a - b).max()) for a, b in zip(runner.logits(batches), torch_logits(model, batches)))
    if not diff < PARITY_TOLERANCE:
        raise WorkbenchError(
            f"The ONNX export in {runner.path.parent} does not match PyTorch: its logits differ by up to {diff:.3g} "
            f"(the limit is {PARITY_TOLERANCE:g})."
        )
    return diff


def task_metrics(task: str, label_names: list[str], logits: list[np.ndarray], batches: list[dict[str, Any]]) -> dict[str, float]:
    """The run's own metrics (`workbench.core.metrics`) on batched logits."""
    from transformers import EvalPrediction

    from workbench.core.metrics import build_compute_metrics

    labels = [batch["labels"].numpy() for batch in batches]
    if task == "token":  # rows keep their own padded length; the metric skips positions labelled -100
        preds, label_ids = [row for b in logits for row in b.argmax(-1)], [row for b in labels for row in b]
    else:
        preds, label_ids = np.concatenate(logits), np.concatenate(labels)
        if task != "multi_label":
            preds = preds.argmax(-1)
    return build_compute_metrics(task, label_names)(EvalPrediction(predictions=preds, label_ids=label_ids))
