"""A trained model on new text: the Try it page, `workbench predict` (`predict_files`) and the
export parity tests.

`Predictor` reads any folder `save_pretrained` wrote (a run's `model/` or an export). Its answers
are the ones `transformers.pipeline` gives for the same folder: text-classification scores (softmax,
or sigmoid for multi-label), and for token classification the entity groups of
`aggregation_strategy="first"`; each task module says how (`Task.predict`).

It runs the PyTorch model (`backend="torch"`) or, where the export folder has them, the ONNX files
through onnxruntime (`"onnx"`, `"int8"`: `export.onnx`'s `OnnxModel`, the session of the parity
check). The PyTorch model predicts under `torch.inference_mode` in batches of similar lengths
(`tasks.batches.row_logits`), with the last layer computed for the first token only where the head
reads nothing else (`model.first_token`: exact), in fp32 unless bf16 is asked for (`precision`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.events import RunStarted
from workbench.core.runs import CONFIG_FILE, STATUS_FILE, read_events, run_config
from workbench.core.tasks import get_task, task_of_model
from workbench.core.tasks.prediction import Prediction

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "int8")
PRECISIONS = ("fp32", "bf16", "auto")
# fp32: bf16 changed the labels of some rows against fp32 (and the pipeline) on Rotten Tomatoes
# (bench/predict_speed.py, bench/RESULTS.md), so bf16 is asked for, never chosen silently
DEFAULT_PRECISION = "fp32"


@dataclass(frozen=True)
class SavedModel:
    """What a model folder says about itself, and what its run says when the folder is a run's `model/`."""

    path: Path
    task: str
    label_names: list[str]
    max_length: int | None  # the run's; None outside a run
    positions: int | None  # the model's max_position_embeddings

    def input_limit(self, tokenizer) -> int:
        """The tokens an input is cut to: what the model and tokenizer take, as `pipeline` reads a
        folder (not the run's max_length, so predictions stay the pipeline's for longer inputs)."""
        return min(tokenizer.model_max_length, self.positions or tokenizer.model_max_length)

    @classmethod
    def read(cls, model_dir: str | Path) -> SavedModel:
        model_dir = Path(model_dir)
        try:
            config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
            names = config.get("id2label") or {}  # a question-answering model has none
            label_names = [names[str(i)] for i in range(len(names))]
        except (OSError, ValueError, KeyError, AttributeError):
            raise WorkbenchError(f"{model_dir} holds no model (its config.json is missing or unreadable).") from None
        task, max_length = task_of_model(config), None
        run_dir = model_dir.parent
        if (run_dir / CONFIG_FILE).is_file() and (run_dir / STATUS_FILE).is_file():  # a run folder
            task = run_config(run_dir).task.type  # the run knows a pair task, which no config.json tells
            max_length = run_max_length(run_dir)
        return cls(model_dir, task, label_names, max_length, config.get("max_position_embeddings"))


def run_max_length(run_dir: Path) -> int | None:
    """The max_length a run encoded with: its RunStarted event's, else its config's (None: not known)."""
    started = [event.max_length for event in read_events(run_dir) if isinstance(event, RunStarted)]
    return started[-1] if started else run_config(run_dir).task.max_length


class Predictor:
    """A model and its tokenizer that predict texts as the task does; `how` says in words what runs."""

    def __init__(self, model, tokenizer, task: str, max_length: int, precision: str = "fp32", how: str = ""):
        self.model, self.tokenizer, self.task, self.max_length = model, tokenizer, task, max_length
        self.precision, self.how = precision, how
        self.label_names = [model.config.id2label[i] for i in range(model.config.num_labels)]

    @classmethod
    def load(cls, model_dir: str | Path, backend: str = "torch", precision: str = DEFAULT_PRECISION) -> Predictor:
        """The model in `model_dir`: PyTorch (`backend="torch"`, in `precision`: fp32, bf16, or auto,
        bf16 where it measures faster), or the export's `model.onnx` ("onnx") or `model.int8.onnx` ("int8")."""
        from transformers import AutoTokenizer

        if backend not in BACKENDS:
            raise WorkbenchError(f"The backend '{backend}' is not one of {', '.join(BACKENDS)}.")
        if precision not in PRECISIONS:
            raise WorkbenchError(f"The precision '{precision}' is not one of {', '.join(PRECISIONS)}.")
        saved = SavedModel.read(model_dir)
        try:
            tokenizer = AutoTokenizer.from_pretrained(saved.path)
            if backend != "torch":
                return cls._onnx(saved, tokenizer, backend)
            model = get_task(saved.task).auto_class().from_pretrained(saved.path, dtype="float32")
        except (OSError, ValueError) as exc:
            log.info("Loading the model in %s failed", saved.path, exc_info=True)
            raise WorkbenchError(
                f"The model in {saved.path} could not be loaded (a weights or tokenizer file is missing or damaged); "
                "export the run again."
            ) from exc
        return cls._torch(saved, model.eval(), tokenizer, precision)

    @classmethod
    def _torch(cls, saved: SavedModel, model, tokenizer, precision: str) -> Predictor:
        from workbench.core.model.device import choose_inference_precision, pick_device
        from workbench.core.model.first_token import use_first_token_layer
        from workbench.core.tasks.batches import BATCH_SIZE

        device = pick_device()
        model = model.to(device)
        precision, why = choose_inference_precision(precision, model, BATCH_SIZE, 64)
        how = [f"PyTorch on {device}", f"{precision} ({why})"]
        if use_first_token_layer(model, True):  # exact; the model is never saved from here
            how.append("the last layer for the first token only")
        return cls(model, tokenizer, saved.task, saved.input_limit(tokenizer), precision, ", ".join(how))

    @classmethod
    def _onnx(cls, saved: SavedModel, tokenizer, backend: str) -> Predictor:
        from transformers import AutoConfig

        from workbench.core.export.onnx import INT8_FILE, ONNX_FILE, OnnxModel

        name = INT8_FILE if backend == "int8" else ONNX_FILE
        if not (saved.path / name).is_file():
            how = "--int8" if backend == "int8" else "--onnx"
            raise WorkbenchError(f"{saved.path} has no {name}; export the run with {how} "
                                 f"(workbench export RUN_DIR {how}) and predict with the export folder.")
        model = OnnxModel(saved.path / name, AutoConfig.from_pretrained(saved.path))
        how = f"onnxruntime on the CPU, {name}"
        return cls(model, tokenizer, saved.task, saved.input_limit(tokenizer), "int8" if backend == "int8" else "fp32", how)

    def predict(self, texts: list[str], pairs: list[str] | None = None) -> list[Prediction]:
        """Predictions for texts (with `pairs`: the second text of a pair, or a question's context)."""
        if not texts:
            return []
        if self.precision != "bf16":
            return get_task(self.task).predict(self, texts, pairs)
        import torch

        device = next(self.model.parameters()).device.type
        with torch.autocast(device, dtype=torch.bfloat16):
            return get_task(self.task).predict(self, texts, pairs)
