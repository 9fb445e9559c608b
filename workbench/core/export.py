"""Export a run's model as a Hugging Face folder (and optionally ONNX), written whole or not at all.

Everything goes to a temporary folder beside the destination, renamed into place at the end; over
an existing export (with `force`) the old folder is moved aside first and deleted last, so at any
moment one complete export exists.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.runs import MODEL

TRAINING_ONLY = {"training_args.bin"}  # the Trainer's pickled arguments: not part of a model
CARD = "README.md"


@dataclass
class ExportReport:
    dest: Path
    files: list[str]
    onnx: object | None = None  # OnnxReport


def export_run(run_dir: str | Path, dest: str | Path | None = None, onnx: bool = False, int8: bool = False,
               force: bool = False, progress: Callable[[str], None] | None = None) -> ExportReport:
    from workbench.core.model_card import model_card
    from workbench.core.predict import Predictor

    run_dir = Path(run_dir)
    dest = Path(dest) if dest else run_dir / "export"
    say = progress or (lambda text: None)
    model_dir = run_dir / MODEL
    if not (model_dir / "config.json").is_file():
        raise WorkbenchError(f"The run {run_dir} has no saved model to export (it stopped or failed before saving one).")
    if dest.exists() and not force:
        raise WorkbenchError(f"{dest} already exists; pass --force to replace it.")
    tmp = dest.parent / f".{dest.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        say(f"Copying the model to {dest}…")
        for path in model_dir.iterdir():
            if path.is_file() and path.name not in TRAINING_ONLY:
                shutil.copy2(path, tmp / path.name)
        predictor = Predictor.load(model_dir)
        (tmp / CARD).write_text(model_card(run_dir, predictor.label_names), encoding="utf-8")
        report = ExportReport(dest, sorted(p.name for p in tmp.iterdir()))
        if onnx or int8:
            from workbench.core.onnx_export import export_onnx

            say("Exporting to ONNX and checking it against PyTorch…")
            rows = validation_rows(run_dir, predictor)
            report.onnx = export_onnx(model_dir, tmp, predictor.task, predictor.label_names, rows, int8=int8)
            report.files = sorted(p.name for p in tmp.iterdir())
        _swap_in(tmp, dest)
        return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def validation_rows(run_dir: Path, predictor):
    """The run's validation split, encoded as the run encoded it (its max_length), labels included."""
    from workbench.core.data import prepare
    from workbench.core.encoding import encode_splits
    from workbench.core.events import RunStarted
    from workbench.core.runs import read_events, run_config

    config = run_config(run_dir)
    started = [e for e in read_events(run_dir) if isinstance(e, RunStarted)]
    max_length = started[-1].max_length if started else (config.task.max_length or predictor.max_length)
    data = prepare(config.data, config.task.type)
    splits = data.splits.__class__({"validation": data.splits["validation"]})
    return encode_splits(splits, config.task.type, predictor.tokenizer, max_length)["validation"]


def _swap_in(tmp: Path, dest: Path) -> None:
    old = dest.parent / f".{dest.name}.old-{os.getpid()}"
    if dest.exists():
        os.replace(dest, old)
    os.replace(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)
