"""What a training run needs to know when torchrun or accelerate starts it on several processes.

Only rank 0 writes the run folder and reports events; every rank must agree on the folder's name
and the precision. On one process every function here is a no-op that touches no process group.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def _state():
    """accelerate's process state from torchrun's environment: gloo on a CPU, NCCL on GPUs.

    `cpu=True` is what makes accelerate set up a process group without an accelerator; the Trainer
    asks for the same through `TrainingArguments.use_cpu`."""
    from accelerate import PartialState

    from workbench.core.model.device import pick_device

    return PartialState(cpu=pick_device() == "cpu")


def agree(value: T) -> T:
    """Rank 0's `value` (any picklable object) on every rank."""
    if world_size() == 1:
        return value
    from accelerate.utils import broadcast_object_list

    _state()
    return broadcast_object_list([value], from_process=0)[0]


def agree_run_dir(proposed: Path) -> Path:
    """Rank 0's run folder, shared with every rank."""
    return agree(proposed)


@contextmanager
def main_process_first() -> Iterator[None]:
    """Rank 0 runs the block first (filling the `datasets` cache), then the others (reading it).

    Rank 0 reaches the barrier even when the block raises, so the other ranks then run the block
    and fail with the same sentence instead of waiting for a rank that is gone."""
    if world_size() == 1:
        yield
        return
    state = _state()
    if not state.is_main_process:
        state.wait_for_everyone()
    try:
        yield
    finally:
        if state.is_main_process:
            state.wait_for_everyone()
