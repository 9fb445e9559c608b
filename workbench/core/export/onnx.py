"""ONNX export of a trained model, checked against PyTorch at export time, with optional dynamic int8.

`export_onnx` writes `model.onnx` (inputs input_ids, attention_mask[, token_type_ids]; output
logits, or start_logits and end_logits for qa; dynamic batch and sequence axes), runs it through onnxruntime and PyTorch on the same
batches of a bounded sample of validation rows (`tasks.batches.row_logits` drives both) and fails when
their logits differ by `PARITY_TOLERANCE` or more. With `int8` it also writes `model.int8.onnx`
(onnxruntime dynamic quantization) and reports the task metrics and latency of int8 against fp32.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.runs import write_json_atomic
from workbench.core.tasks.batches import row_logits

OPSET = 20  # torch's dynamo exporter translates natively to 20; onnxruntime 1.32 runs up to 23
PARITY_TOLERANCE = 1e-3
SAMPLE_ROWS = 512
TIMING_REPEATS = 3
SUMMARY_METRICS = ("accuracy", "f1")  # every task's metrics have both (workbench.core.evaluation.metrics)
ONNX_FILE, INT8_FILE, REPORT_FILE = "model.onnx", "model.int8.onnx", "onnx_report.json"
MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
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
        shown = [name for name in SUMMARY_METRICS if name in self.fp32_metrics]
        line = (f"ONNX opset {self.opset}: parity max |diff| {self.max_abs_diff:.2e} on {self.rows_checked} rows, "
                + ", ".join(f"{name} {self.fp32_metrics[name]:.4f}" for name in shown))
        if self.int8_metrics is not None:
            delta = self.int8_delta
            line += "; int8 " + ", ".join(f"{name} {delta[name]:+.4f}" for name in shown) + f", {self.speedup:.2f}x faster"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "int8_delta": self.int8_delta}


def export_onnx(model_dir: Path, dest: Path, task: str, label_names: list[str], rows, int8: bool = False) -> OnnxReport:
    """Export `model_dir` to `dest` and check it on the first `SAMPLE_ROWS` of `rows` (encoded validation rows)."""
    import torch
    from transformers import AutoTokenizer

    from workbench.core.data.encoding import PaddingCollator
    from workbench.core.model.heads import auto_class
    from workbench.core.tasks import get_task

    if len(rows) == 0:
        raise WorkbenchError(f"There are no validation rows to check the ONNX export of {model_dir} against.")
    dest.mkdir(parents=True, exist_ok=True)
    model = auto_class(task).from_pretrained(model_dir, dtype=torch.float32).eval()
    collator = PaddingCollator(AutoTokenizer.from_pretrained(model_dir), task)
    sample = list(rows.select(range(min(len(rows), SAMPLE_ROWS))))
    files = write_onnx(model, collator(sample[:2]), dest / ONNX_FILE, get_task(task).output_names)
    fp32 = OnnxModel(dest / ONNX_FILE)
    max_diff, logits = check_parity(fp32, model, sample, collator)
    report = OnnxReport(files, OPSET, len(sample), max_diff, task_metrics(task, label_names, logits, sample))
    if int8:
        quantize_int8(dest / ONNX_FILE, dest / INT8_FILE)
        quantized = OnnxModel(dest / INT8_FILE)
        report.files.append(INT8_FILE)
        report.int8_metrics = task_metrics(task, label_names, row_logits(quantized, sample, collator), sample)
        report.speedup = latency(fp32, sample, collator) / latency(quantized, sample, collator)
    report.files.append(REPORT_FILE)
    write_json_atomic(dest / REPORT_FILE, report.to_dict())
    return report


def write_onnx(model, example: dict[str, Any], path: Path, output_names=("logits",)) -> list[str]:
    """Export `model` with torch's dynamo exporter, inputs as in the padded batch `example`; the files written."""
    import torch

    inputs = {name: value for name, value in example.items() if name in MODEL_INPUTS}
    if len(inputs["input_ids"]) < 2:  # a size-1 example axis would be specialised to 1, so never dynamic
        inputs = {name: value.repeat(2, 1) for name, value in inputs.items()}
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    external = sum(p.numel() * p.element_size() for p in model.parameters()) >= _PROTOBUF_LIMIT
    with torch.no_grad():
        program = torch.onnx.export(
            model, (), kwargs=inputs, dynamo=True, opset_version=OPSET, output_names=list(output_names),
            dynamic_shapes={name: {0: batch, 1: sequence} for name in inputs}, verbose=False,
        )
    program.save(path, external_data=external)
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of the MatMul/Gemm weights; activations are quantized per batch at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=True)


class OnnxModel:
    """An onnxruntime CPU session that `tasks.batches.row_logits` drives as it drives a PyTorch model,
    so both see the same batches; `seconds` adds up the time spent in onnxruntime. With `config` (the
    model folder's transformers config) a `Predictor` runs it as it runs the PyTorch model."""

    def __init__(self, path: Path, config=None):
        import onnxruntime

        self.path, self.config = path, config
        self.session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.seconds = 0.0

    def __call__(self, **batch) -> dict[str, Any]:
        """The model's outputs by name (`logits`, or qa's `start_logits` and `end_logits`)."""
        import torch

        feed = {name: batch[name].numpy() for name in self.input_names}
        start = time.perf_counter()
        outputs = self.session.run(None, feed)
        self.seconds += time.perf_counter() - start
        return {output.name: torch.from_numpy(value) for output, value in zip(self.session.get_outputs(), outputs)}

    def parameters(self):
        import torch

        yield torch.empty(0)  # row_logits reads the model's device from its first parameter: the CPU

    def eval(self) -> OnnxModel:
        return self


def latency(onnx_model: OnnxModel, rows: list[dict[str, Any]], collator) -> float:
    """Best-of-`TIMING_REPEATS` seconds onnxruntime spends on one pass over `rows` (after a warm-up pass)."""
    row_logits(onnx_model, rows, collator)
    best = float("inf")
    for _ in range(TIMING_REPEATS):
        onnx_model.seconds = 0.0
        row_logits(onnx_model, rows, collator)
        best = min(best, onnx_model.seconds)
    return best


def check_parity(onnx_model: OnnxModel, model, rows: list[dict[str, Any]], collator) -> tuple[float, list[np.ndarray]]:
    """The largest |onnxruntime - PyTorch| logit over `rows`, and the ONNX logits; raises at `PARITY_TOLERANCE`."""
    ours, reference = row_logits(onnx_model, rows, collator), row_logits(model, rows, collator)
    diff = max(float(np.abs(a - b).max()) if a.shape == b.shape else float("inf") for a, b in zip(ours, reference))
    if not diff < PARITY_TOLERANCE:
        raise WorkbenchError(
            f"The ONNX model {onnx_model.path} does not match PyTorch: its logits differ by up to {diff:.3g} "
            f"(the limit is {PARITY_TOLERANCE:g})."
        )
    return diff, ours


def task_metrics(task: str, label_names: list[str], logits: list[np.ndarray], rows: list[dict[str, Any]]) -> dict[str, float]:
    """The run's own metrics (the task's) on per-row logits."""
    from workbench.core.tasks import get_task

    return get_task(task).rows_metrics(logits, rows, label_names)
