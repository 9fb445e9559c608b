import json
import os
import re
import subprocess
import sys
from pathlib import Path

from workbench.cli import main


def test_train_prints_a_summary_and_runs_lists_it(tiny_config, tmp_path, capsys):
    tiny_config.save(tmp_path / "run.json")
    assert main(["train", str(tmp_path / "run.json")]) == 0
    out = capsys.readouterr()
    assert "validation_f1" in out.out and "run folder" in out.out
    assert "12/12" in out.err  # the progress bar reached the end

    assert main(["runs", "--runs-root", tiny_config.output.runs_root]) == 0
    listing = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("  Warning: ")]
    assert len(listing) == 2 and "finished" in listing[1] and "single_label" in listing[1]
    assert "best (validation)" in listing[0] and re.search(r" \d\.\d{4} f1 ", listing[1])  # the metric named


def test_bad_config_is_one_sentence_and_exit_code_2(tmp_path, capsys):
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"training": {"batch_size": 0}}))
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: The run config") and "training.batch_size must be at least 1" in err


def test_failed_run_exits_1_with_its_sentence(tiny_config, tmp_path, capsys):
    tiny_config.data.source = str(tmp_path / "missing.csv")
    tiny_config.save(tmp_path / "run.json")
    assert main(["train", str(tmp_path / "run.json")]) == 1
    assert "missing.csv" in capsys.readouterr().err


def test_train_progress_shows_every_steps_loss(tiny_config, tmp_path):
    """The real command, its progress bar written to a pipe; tqdm redraws at every update (TQDM_MININTERVAL=0
    is read when tqdm is imported, so in the child process), and each draw shows that step's loss."""
    tiny_config.training.logging_steps = 6  # StepLogged averages over 6 steps; the bar does not wait for it
    tiny_config.save(tmp_path / "run.json")
    env = {**os.environ, "TQDM_MININTERVAL": "0", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-m", "workbench", "train", str(tmp_path / "run.json")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    draws = re.findall(r"(\d+)/12, \d\d:\d\d<\d\d:\d\d, loss=([\d.]+), ([\d.]+) samples/s", done.stderr)
    losses = {int(step): float(loss) for step, loss, _ in draws}
    assert sorted(losses) == list(range(1, 13))
    assert all(losses[step] != losses[step + 1] for step in range(1, 12))
    assert all(float(rate) > 0 for _, _, rate in draws)
