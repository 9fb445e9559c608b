"""Export a run's model as a Hugging Face folder (and optionally ONNX), written whole or not at all.

Everything goes to a temporary folder beside the destination, renamed into place at the end; over
an existing export (with `force`) the old folder is moved aside first and deleted last, so at any
moment one complete export exists. Temporary folders that a killed export left behind are removed
by the next export to the same destination.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.errors import WorkbenchError
from workbench.core.evaluation.results import RESULTS
from workbench.core.hub import is_hub_id
from workbench.core.runs import (
    ADAPTER, CHECKPOINTS, CONFIG_FILE, EVENTS_FILE, MODEL, STATUS_FILE, process_alive, run_config,
)

if TYPE_CHECKING:
    from workbench.core.export.onnx import OnnxReport

TRAINING_ONLY = {"training_args.bin"}  # the Trainer's pickled arguments: not part of a model
CARD = "README.md"


@dataclass
class ExportReport:
    dest: Path
    files: list[str]  # names inside `dest` (the adapter's folder as `adapter/<name>`)
    onnx: OnnxReport | None = None


def export_run(run_dir: str | Path, dest: str | Path | None = None, onnx: bool = False, int8: bool = False,
               force: bool = False, progress: Callable[[str], None] | None = None, adapter: bool = False) -> ExportReport:
    """Write the run's model, tokenizer and model card to `dest` (default RUN_DIR/export); `int8` implies `onnx`.

    A LoRA run's model has its adapters merged in; `adapter` also writes the adapter alone to `dest/adapter`,
    which peft loads onto the base model."""
    from workbench.core.export.model_card import model_card
    from workbench.core.export.predict import SavedModel
    from workbench.core.model.lora import ADAPTER_FILES

    run_dir = Path(run_dir)
    dest = Path(dest) if dest else run_dir / "export"
    say = progress or (lambda text: None)
    model_dir = run_dir / MODEL
    if not (model_dir / "config.json").is_file():
        raise WorkbenchError(f"The run {run_dir} has no saved model to export (it stopped or failed before saving one).")
    if _overlaps_run(dest, run_dir):
        raise WorkbenchError(f"The export folder {dest} would replace files of the run {run_dir}; choose another folder.")
    if adapter and not all((run_dir / ADAPTER / name).is_file() for name in ADAPTER_FILES):
        raise WorkbenchError(f"The run {run_dir} has no LoRA adapter to export (it was not trained with lora.enabled); "
                             "export it without the adapter.")
    if dest.exists() and not force:
        raise WorkbenchError(f"{dest} already exists; pass --force to replace it.")
    saved = SavedModel.read(model_dir)
    _remove_abandoned(dest)
    tmp = dest.parent / f".{dest.name}.tmp-{os.getpid()}"
    try:
        tmp.mkdir(parents=True)
        say(f"Copying the model to {dest}…")
        for path in model_dir.iterdir():
            if path.is_file() and path.name not in TRAINING_ONLY:
                shutil.copy2(path, tmp / path.name)
        (tmp / CARD).write_text(model_card(run_dir), encoding="utf-8")
        if adapter:
            (tmp / ADAPTER).mkdir()
            for name in ADAPTER_FILES:
                shutil.copy2(run_dir / ADAPTER / name, tmp / ADAPTER / name)
        report = ExportReport(dest, [])
        if onnx or int8:
            from workbench.core.export.onnx import export_onnx

            say("Exporting to ONNX and checking it against PyTorch on validation rows…")
            report.onnx = export_onnx(model_dir, tmp, saved.task, saved.label_names, validation_rows(run_dir, saved),
                                      int8=int8)
        report.files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        _swap_in(tmp, dest)
        return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def validation_rows(run_dir: Path, saved):
    """The run's validation split encoded as the run encoded it (same max_length), labels included."""
    from datasets import DatasetDict
    from transformers import AutoTokenizer

    from workbench.core.data import prepare
    from workbench.core.data.encoding import encode_splits
    from workbench.core.tasks import get_task

    config = run_config(run_dir)
    source = config.data.source
    if not is_hub_id(source) and not Path(source).expanduser().exists():
        raise WorkbenchError(f"The run's data {source} is gone, and the ONNX export is checked on its validation "
                             "rows; put the file back, or export without ONNX.")
    task = get_task(saved.task)
    data = prepare(config.data, task)
    if task.uses_labels and data.label_names != saved.label_names:
        raise WorkbenchError(f"The labels in {source} ({', '.join(data.label_names)}) are no longer the model's "
                             f"({', '.join(saved.label_names)}), so its validation rows cannot check the ONNX export.")
    tokenizer = AutoTokenizer.from_pretrained(saved.path)
    return encode_splits(DatasetDict({"validation": data.splits["validation"]}), task, tokenizer,
                         saved.max_length or saved.input_limit(tokenizer), config.task)["validation"]


def _overlaps_run(dest: Path, run_dir: Path) -> bool:
    """Whether `dest` is the run folder, holds it, or lies in one of the run's own entries (model/, config.json...)."""
    target, run = dest.resolve(), run_dir.resolve()
    if run.is_relative_to(target):
        return True
    return target.is_relative_to(run) and target.relative_to(run).parts[0] in {
        CONFIG_FILE, EVENTS_FILE, STATUS_FILE, CHECKPOINTS, MODEL, ADAPTER, RESULTS}


def _swap_in(tmp: Path, dest: Path) -> None:
    old = dest.parent / f".{dest.name}.old-{os.getpid()}"
    if dest.exists():
        os.replace(dest, old)
    os.replace(tmp, dest)
    if old.is_dir():
        shutil.rmtree(old)
    elif old.exists():
        old.unlink()


def _remove_abandoned(dest: Path) -> None:
    """Delete the temporary folders of earlier exports to `dest` whose process is gone."""
    if not dest.parent.is_dir():
        return
    pattern = re.compile(rf"\.{re.escape(dest.name)}\.tmp-(\d+)")
    for path in dest.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match and not process_alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
