"""What a training run needs to know when torchrun or accelerate starts it on several processes.

Only rank 0 writes the run folder and reports events; every rank must agree on the folder's name.
"""

from __future__ import annotations

import os
from pathlib import Path


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def agree_run_dir(proposed: Path) -> Path:
    """Rank 0's run folder name, shared with every rank (a no-op on one process)."""
    if world_size() == 1:
        return proposed
    from accelerate import PartialState
    from accelerate.utils import broadcast_object_list

    PartialState()  # sets up the process group from torchrun's environment
    names = [str(proposed)]
    broadcast_object_list(names, from_process=0)
    return Path(names[0])
