"""Running out of memory: telling it from other failures (CUDA, MPS, the host's RAM), the sentence
that says what ran out and which setting to change, and the retry at half the batch size with twice
the gradient accumulation (the same effective batch)."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

from workbench.core.config import RunConfig
from workbench.core.errors import WorkbenchError
from workbench.core.runs import CONFIG_FILE, last_checkpoint, run_config, write_json_atomic

_HOST_MESSAGES = ("can't allocate memory", "defaultcpuallocator", "cannot allocate memory")


class OutOfMemory(WorkbenchError):
    """A run that ran out of memory, in one sentence; a half-batch retry may fit."""


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    text = str(exc).lower()
    return (isinstance(exc, (OutOfMemory, torch.OutOfMemoryError, MemoryError))
            or (isinstance(exc, RuntimeError) and ("out of memory" in text or any(m in text for m in _HOST_MESSAGES))))


def what_ran_out(exc: BaseException) -> str:
    import torch

    text = str(exc)
    if "MPS" in text:
        return "the Apple GPU's memory (MPS)"
    if "CUDA" in text or (isinstance(exc, torch.OutOfMemoryError) and torch.cuda.is_available()):
        device = torch.cuda.current_device() if torch.cuda.is_available() else 0
        return f"GPU memory (cuda:{device})"
    return "the computer's memory (RAM)"


def out_of_memory_sentence(exc: BaseException, config: RunConfig, step: int | None = None) -> str:
    t = config.training
    at = f" at step {step}" if step else ""
    if t.batch_size > 1:
        change = (f"set training.batch_size to {t.batch_size // 2} and training.gradient_accumulation_steps to "
                  f"{t.gradient_accumulation_steps * 2} (the same effective batch: Retry, or --retry-half-batch, does "
                  "that)")
    else:
        change = "lower task.max_length"
    checkpointing = "" if t.gradient_checkpointing else ", or turn on training.gradient_checkpointing"
    return f"Training ran out of memory at batch size {t.batch_size}{at}: {what_ran_out(exc)} is full; {change}{checkpointing}."


def free_memory() -> None:
    """Give back what the failed run held: Python's cycles, then the CUDA allocator's cache."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def half_batch(config: RunConfig) -> RunConfig:
    t = config.training
    if t.batch_size < 2:
        raise WorkbenchError("training.batch_size is already 1, so a retry at half the batch cannot help; lower "
                             "task.max_length or turn on training.gradient_checkpointing.")
    return dataclasses.replace(config, training=dataclasses.replace(
        t, batch_size=t.batch_size // 2, gradient_accumulation_steps=t.gradient_accumulation_steps * 2))


def prepare_retry(run_dir: str | Path | None, config: RunConfig | None) -> tuple[RunConfig, Path | None]:
    """The config of a half-batch retry and the run folder to resume, if any. A failed run with a
    checkpoint is resumed from it (its config.json rewritten with the halved batch: the effective
    batch, the steps and the order of the data stay the same); without one, the retry is a new run."""
    if run_dir is not None and last_checkpoint(Path(run_dir)) is not None:
        halved = half_batch(run_config(run_dir))
        write_json_atomic(Path(run_dir) / CONFIG_FILE, halved.to_dict())
        return halved, Path(run_dir)
    base = run_config(run_dir) if run_dir is not None and (Path(run_dir) / CONFIG_FILE).is_file() else config
    if base is None:
        raise WorkbenchError("There is no run config to retry.")
    return half_batch(base), None
