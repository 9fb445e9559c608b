"""Runs back to back in one window: does the window's memory grow, and does its UI thread stall?

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/window_soak.py [--runs 20] [--max-steps N]

The window opens on the demo, as `make run` does, and Start is pressed again each time a run
ends (its Results and Try it pages filled, as after any run). After each run the process's
resident memory is printed, with the longest gap of a 20 ms UI timer during that run. Targets
(issue 23): growth from run 2 to the last under 100 MB, UI stall max under 50 ms throughout.
`--max-steps` shortens each run for a quick check; the figures are meant with whole demo runs.
"""

from __future__ import annotations

import argparse
import gc
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--max-steps", type=int, default=None, help="cut each demo run to this many steps")
    args = parser.parse_args()

    import numpy as np
    import psutil
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.demo import demo_config
    from workbench.ui.app import collect_garbage_on_ui_thread
    from workbench.ui.main_window import MainWindow

    app = QApplication([])
    collector = collect_garbage_on_ui_thread()  # noqa: F841 - as the app does
    config = demo_config()
    if args.max_steps:
        config.training.max_steps = args.max_steps
    window = MainWindow(config)
    window.resize(1400, 900)
    window.show()
    settle = time.perf_counter() + 3.0
    while window.device_label.text().startswith("Detecting") or time.perf_counter() < settle:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)

    ticks: list[float] = []
    probe = QTimer(interval=20, timerType=Qt.TimerType.PreciseTimer)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    probe.start()
    view, process = window.train_view, psutil.Process()
    view.run_finished.connect(lambda result: app.quit())
    rows = []
    print(f"{'run':>4} {'seconds':>8} {'RSS MB':>8} {'stall max ms':>13} {'p99 ms':>7}  result", flush=True)
    for run in range(1, args.runs + 1):
        ticks.clear()
        started = time.perf_counter()
        view.start_button.click()
        app.exec()
        finished = time.perf_counter()
        quiet = finished + 1.0  # the finished run's pages fill and the UI-thread collector runs
        while time.perf_counter() < quiet:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        gaps = np.diff(np.array(ticks)) * 1000
        rss = process.memory_info().rss / 2**20
        rows.append((rss, float(gaps.max()), float(np.percentile(gaps, 99))))
        result = view.banner.text()[:60] if not view.banner.isHidden() else "finished"
        print(f"{run:>4} {finished - started:>8.1f} {rss:>8.0f} {gaps.max():>13.1f} {np.percentile(gaps, 99):>7.1f}  {result}",
              flush=True)
    probe.stop()
    gc.collect()
    growth = rows[-1][0] - rows[min(1, len(rows) - 1)][0]
    stall = max(row[1] for row in rows)
    print(f"\nresident memory: run 2 {rows[min(1, len(rows) - 1)][0]:.0f} MB, run {len(rows)} {rows[-1][0]:.0f} MB, "
          f"growth {growth:+.0f} MB (target under 100 MB)")
    print(f"UI stall max over all runs: {stall:.1f} ms (target under 50 ms)")
    return 0 if growth < 100 and stall < 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
