"""Measure how long the UI thread stalls while the GUI trains the real bundled backbone.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui_stall.py [DATA] [--steps N]

A 20 ms QTimer on the UI thread records its ticks from Train until the run ends; the gaps between
ticks beyond 20 ms are the stalls. Prints max, p99 and mean gap, and Train-to-first-step time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser()
    default = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "rotten_tomatoes"
    parser.add_argument("data", nargs="?", default=str(default) if default.is_dir() else None)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QTimer, Qt
    from PySide6.QtWidgets import QApplication

    from workbench.core.events import ProgressReported, RunFinished
    from workbench.demo import DEMO_CSV, demo_config
    from workbench.ui.main_window import MainWindow

    app = QApplication(sys.argv)
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    config = demo_config(runs_root=tempfile.mkdtemp(prefix="ui-stall-"))
    config.data.source = args.data or str(DEMO_CSV)
    config.training.max_steps = args.steps
    config.training.eval_strategy, config.training.eval_steps = "steps", max(args.steps // 2, 1)
    config.training.logging_steps = 1

    ticks: list[float] = []
    marks: dict[str, float] = {}
    probe = QTimer(interval=20, timerType=Qt.TimerType.PreciseTimer)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))

    def on_event(event) -> None:
        if isinstance(event, ProgressReported) and "first_step" not in marks:
            marks["first_step"] = time.perf_counter()

    def on_finished(result) -> None:
        marks["end"] = time.perf_counter()
        marks["ok"] = isinstance(result, RunFinished)
        app.quit()

    view = window.train_view
    view.worker.event_received.connect(on_event)
    view.run_finished.connect(on_finished)
    probe.start()
    marks["train"] = time.perf_counter()
    view.start(config)
    app.exec()
    probe.stop()

    gaps = np.diff(np.array(ticks)) * 1000
    print(f"data {config.data.source}, {args.steps} steps, run ok: {marks.get('ok')}")
    print(f"UI stall (20 ms timer, {len(gaps)} gaps): max {gaps.max():.1f} ms, p99 {np.percentile(gaps, 99):.1f} ms, "
          f"mean {gaps.mean():.1f} ms")
    if "first_step" in marks:
        print(f"Train to first optimizer step: {marks['first_step'] - marks['train']:.2f} s")
    return 0 if marks.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
