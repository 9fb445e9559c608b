"""The run config the GUI saves, run unchanged by `torchrun --nproc_per_node=2` on CPU (gloo)."""

import math
import os
import subprocess
import sys
from pathlib import Path

from tests.tiny_models import tiny_run_config
from workbench.core.events import RunFinished, RunStarted, StepLogged
from workbench.core.runs import read_events, read_status

TIMEOUT_S = 180


def torchrun(config_path: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict[int, str], dict[int, str]]:
    """Runs `workbench train CONFIG` on 2 CPU processes; returns the result and each rank's stdout and stderr."""
    logs = tmp_path / "torchrun-logs"
    env = {
        **os.environ,
        "CUDA_VISIBLE_DEVICES": "",  # two processes on one GPU would not work; this test is about gloo
        "OMP_NUM_THREADS": "1",
        "HF_DATASETS_CACHE": str(tmp_path / "datasets-cache"),  # a cold cache: both ranks want to fill it
    }
    # --standalone lets the rendezvous bind a free port itself (no race with other tests for one port)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "--log-dir", str(logs), "--redirects", "3", "-m", "workbench", "train", str(config_path)]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)

    def read(rank: int, stream: str) -> str:
        (path,) = logs.glob(f"*/attempt_0/{rank}/{stream}.log")
        return path.read_text()

    return result, {r: read(r, "stdout") for r in (0, 1)}, {r: read(r, "stderr") for r in (0, 1)}


def test_two_ranks_train_one_sharded_run_that_rank_0_alone_writes(tmp_path, tiny_backbone_dir):
    config = tiny_run_config(tmp_path, tiny_backbone_dir)
    config.training.max_steps = -1  # one epoch, so the step count shows how the data was sharded
    config.training.epochs = 1
    config.save(tmp_path / "run.json")

    result, out, err = torchrun(tmp_path / "run.json", tmp_path)

    logs = f"rank 0:\n{err[0][-3000:]}\nrank 1:\n{err[1][-3000:]}\nrank 1 stdout:\n{out[1][-1000:]}"
    assert result.returncode == 0, logs
    (run_dir,) = Path(config.output.runs_root).iterdir()
    assert read_status(run_dir)["status"] == "finished", logs
    events = read_events(run_dir)
    (started,) = [e for e in events if isinstance(e, RunStarted)]
    assert len([e for e in events if isinstance(e, RunFinished)]) == 1
    steps = [e.step for e in events if isinstance(e, StepLogged)]
    assert steps == sorted(set(steps)), "every logged step once, from one process"
    train_rows = started.train_rows
    assert started.total_steps == math.ceil(train_rows / (config.training.batch_size * 2)) < math.ceil(train_rows / 8)
    assert max(steps) <= started.total_steps
    # each rank's loss is its own batch mean, not multiplied by the world size (random start: ln 2)
    assert next(e for e in events if isinstance(e, StepLogged)).loss < 1.0, logs
    assert (run_dir / "model" / "model.safetensors").is_file() and not (run_dir / ".model.tmp").exists()

    # Rank 0 alone reports; rank 1 says nothing unless it fails
    assert f"Run folder {run_dir}" in err[0] and str(run_dir) in out[0], logs
    assert "Loaded" not in err[1] and "Run folder" not in err[1] and out[1] == "", logs


def test_bad_data_fails_on_both_ranks_with_the_sentence(tmp_path, tiny_backbone_dir):
    config = tiny_run_config(tmp_path, tiny_backbone_dir)
    rows = Path(config.data.source).read_text().splitlines()
    rows[5] = "   ,1"  # an empty text in data row 5
    Path(config.data.source).write_text("\n".join(rows) + "\n")
    config.save(tmp_path / "run.json")

    result, _, err = torchrun(tmp_path / "run.json", tmp_path)  # the timeout fails the test if a rank hangs

    assert result.returncode != 0
    sentence = f"Error: Row 5 of the train split of {config.data.source} is empty in column 'text'."
    assert sentence in err[0].splitlines() and sentence in err[1].splitlines()
    assert not Path(config.output.runs_root).exists()


def test_accumulated_steps_log_a_batch_mean_loss(tiny_config):
    """The heads' losses are batch means, so Trainer must divide them by the accumulation steps."""
    from workbench.core.training.run import train

    tiny_config.training.max_steps = 1
    tiny_config.training.gradient_accumulation_steps = 4
    tiny_config.training.logging_steps = 1
    events = []
    assert isinstance(train(tiny_config, events.append), RunFinished)
    (step,) = [e for e in events if isinstance(e, StepLogged)]
    assert step.loss < 1.0  # about ln 2 from a random start; 4 x that when the accumulation is summed
