"""Faults injected for real: a process killed with SIGKILL once its run has written a checkpoint."""

import os
import signal
import subprocess
import time
from pathlib import Path


def kill_at_first_checkpoint(process: subprocess.Popen, runs_root: Path, timeout_s: float = 120) -> None:
    """SIGKILL `process` as soon as a run under `runs_root` holds a complete checkpoint."""
    deadline = time.monotonic() + timeout_s
    while not list(Path(runs_root).glob("*/checkpoints/checkpoint-*/trainer_state.json")):
        assert process.poll() is None and time.monotonic() < deadline, "no checkpoint was written"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
