"""The analyst's path through the window against `workbench train` with its defaults, on the same rows.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/window_path.py [--data ../shared/data/rotten_tomatoes] [--rows 1000]

Writes a temporary folder of split files: `train.csv`, `--rows` rows drawn at random (seed 0) from
the data's training split, and `test.csv`, its whole test split (no validation file: the engine
carves one from train, as it does for a single file). Then, each in a process of its own:

  window  the main window, offscreen, as `make run` opens it (on the demo): the folder opened with
          Data > Open folder… (only the modal dialog answered), Train > Start pressed with nothing
          else changed; the bundled backbone;
  cli     `workbench train run.json`, where run.json names the folder and leaves every other setting
          at its default.

Prints each leg's epochs and learning rate as the engine chose them, its test macro-F1 and wall time,
the settings where the two configs differ, and whether the two test macro-F1 agree within 0.01
(exit status 1 when they do not).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RT = ROOT.parent / "shared" / "data" / "rotten_tomatoes"
sys.path.insert(0, str(ROOT))
TOLERANCE = 0.01
TIMEOUT_MS = 3_600_000


def write_cut(data: Path, rows: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(data / "train.csv", encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        header, body = next(reader), list(reader)
    with open(folder / "train.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(random.Random(0).sample(body, rows))
    (folder / "test.csv").write_bytes((data / "test.csv").read_bytes())
    return folder


def window_leg(folder: Path, work: Path) -> dict:
    """Open the folder in the window as a user would, press Start, wait for the run."""
    os.chdir(work)  # the demo's runs folder is ./runs
    from PySide6.QtWidgets import QPushButton

    from workbench.core.events import RunFinished, RunStarted
    from workbench.ui.app import application
    from workbench.ui.main_window import MainWindow
    from workbench.ui.self_test import wait_until
    from workbench.ui.views import source_bar

    app = application()
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    if not wait_until(lambda: window.data_view.report() is not None or bool(window.data_view.error())):
        raise SystemExit("The Data page did not finish checking the demo.")
    source_bar.QFileDialog.getExistingDirectory = staticmethod(lambda *args: str(folder))  # the user picks the folder
    opened: list[str] = []
    window.data_view.opened_by_user.connect(opened.append)
    window.show_page("Data")
    next(b for b in window.data_view.findChildren(QPushButton) if b.text() == "Open folder…").click()
    if not wait_until(lambda: opened and window.data_view.report() is not None):
        raise SystemExit(f"The Data page did not open {folder}: {window.data_view.error()}")
    note = window.statusBar().currentMessage()
    config = window.current_config()

    started: list[RunStarted] = []
    finished: list[object] = []
    window.train_view.worker.event_received.connect(lambda e: started.append(e) if isinstance(e, RunStarted) else None)
    window.train_view.run_finished.connect(finished.append)
    window.show_page("Train")
    clock = time.perf_counter()
    window.train_view.start_button.click()
    if not wait_until(lambda: finished, timeout_ms=TIMEOUT_MS):
        raise SystemExit("The run did not finish.")
    result = finished[0]
    window.close()
    app.processEvents()
    if not isinstance(result, RunFinished):
        raise SystemExit(f"The window's run failed: {getattr(result, 'message', result)}")
    return {"note": note, "config": config.to_dict(), "run_dir": result.run_dir, "metrics": result.final_metrics,
            "epochs": started[0].epochs, "learning_rate": started[0].learning_rate, "steps": started[0].total_steps,
            "wall_s": time.perf_counter() - clock}


def cli_leg(folder: Path, work: Path) -> dict:
    from workbench.core.config import RunConfig, load_config
    from workbench.core.runs import read_events, read_status

    config = RunConfig()
    config.data.source = str(folder)
    config.output.runs_root = str(work / "runs")
    config.save(work / "run.json")
    clock = time.perf_counter()
    with open(work / "train.log", "w", encoding="utf-8") as log:  # the run's own log, beside its folder
        subprocess.run([sys.executable, "-m", "workbench", "train", str(work / "run.json")], check=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=log, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - clock
    (run_dir,) = (work / "runs").iterdir()
    status = read_status(run_dir)
    started = next(e for e in read_events(run_dir) if type(e).__name__ == "RunStarted")
    return {"config": load_config(run_dir / "config.json").to_dict(), "run_dir": str(run_dir),
            "metrics": status["final_metrics"], "epochs": started.epochs, "learning_rate": started.learning_rate,
            "steps": started.total_steps, "wall_s": wall}


def differences(a: dict, b: dict, prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            out += differences(x, y, f"{prefix}{key}.")
        elif x != y:
            out.append(f"{prefix}{key}: window {json.dumps(x)}, cli {json.dumps(y)}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=RT, help="a folder with train.csv and test.csv")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--leg", choices=("window", "cli"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.leg:  # one leg, in this process
        result = (window_leg if args.leg == "window" else cli_leg)(args.folder, args.work)
        (args.work / "result.json").write_text(json.dumps(result), encoding="utf-8")
        return 0

    temp = Path(tempfile.mkdtemp(prefix="bench-window-path-"))
    folder = write_cut(args.data, args.rows, temp / f"{args.data.name}-{args.rows}")
    print(f"# bench/window_path.py, {time.strftime('%Y-%m-%d %H:%M')}: {args.rows} rows of {args.data}/train.csv "
          f"(seed 0) and its test.csv in {folder}", flush=True)
    results = {}
    for leg in ("window", "cli"):
        work = temp / leg
        work.mkdir()
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        subprocess.run([sys.executable, __file__, "--leg", leg, "--folder", str(folder), "--work", str(work)],
                       check=True, env=env)
        results[leg] = json.loads((work / "result.json").read_text(encoding="utf-8"))
    print(f"window: {results['window']['note']}")
    print("| leg | epochs (planned) | learning rate | steps | wall s | test macro-F1 | test accuracy | run folder |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for leg, r in results.items():
        m = r["metrics"]
        print(f"| {leg} | {r['epochs']:g} | {r['learning_rate']:g} | {r['steps']} | {r['wall_s']:.0f} "
              f"| {m['test_f1_macro']:.4f} | {m['test_accuracy']:.4f} | {Path(r['run_dir']).name} |")
    diff = [line for line in differences(results["window"]["config"], results["cli"]["config"])
            if not line.startswith("output.runs_root")]
    print("configs differ in: " + ("; ".join(diff) if diff else "nothing"))
    gap = abs(results["window"]["metrics"]["test_f1_macro"] - results["cli"]["metrics"]["test_f1_macro"])
    print(f"test macro-F1 gap {gap:.4f}: {'agree' if gap <= TOLERANCE else 'DISAGREE'} within {TOLERANCE}")
    return 0 if gap <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
