"""Render the main window's pages to docs/screenshots/*.png, offscreen, after two short demo runs and a comparison.

    python packaging/render_screenshots.py [--steps 40] [--size 1400x900] [--dark] [--before] [--out DIR]

The runs go to a temporary folder and the settings to a temporary file, so nothing of the user's
is read or changed. Two runs (different learning rates) give the Runs page an overlay to show, and a
comparison of the full fine-tune against the head alone fills the Compare page. `--dark` also renders
every picture in the dark palette (dark-*.png), `--before` every page before the first run as well
(before-*.png): what a user sees first.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QThreadPool  # noqa: E402
from PySide6.QtGui import QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.demo import demo_config  # noqa: E402
from workbench.ui.app import collect_garbage_on_ui_thread  # noqa: E402
from workbench.ui.main_window import MainWindow  # noqa: E402
from workbench.ui.theme import dark_palette  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZE = (1400, 900)
FILES = {"Start": "0-start", "Data": "1-data", "Model": "2-model", "Freeze": "3-freeze", "Train": "4-train",
         "Runs": "5-runs", "Results": "6-results", "Try it": "7-try-it", "Compare": "8-compare"}  # as docs/ names them


def wait_until(app: QApplication, done: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout_s:.0f} s")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


def settle(app: QApplication, seconds: float = 0.5) -> None:
    """Let background jobs (data preview, layer tree, run listing) finish and the plots redraw."""
    wait_until(app, lambda: QThreadPool.globalInstance().activeThreadCount() == 0, 300)
    end = time.monotonic() + seconds
    wait_until(app, lambda: time.monotonic() > end, seconds + 1)


def train(app: QApplication, window: MainWindow, learning_rate: float) -> None:
    window.show_page("Train")
    window.train_view.learning_rate.setValue(learning_rate)
    finished = []
    window.train_view.run_finished.connect(finished.append)
    window.train_view.start_button.click()
    wait_until(app, lambda: bool(finished), 900)
    window.train_view.run_finished.disconnect(finished.append)
    print(f"  lr {learning_rate:g}: {type(finished[0]).__name__}", flush=True)


def compare(app: QApplication, window: MainWindow) -> None:
    window.show_page("Compare")
    window.compare_view.set_checked(["full", "head_only"])
    finished = []
    window.compare_view.comparison_finished.connect(finished.append)
    window.compare_view.compare_button.click()
    wait_until(app, lambda: bool(finished), 1800)
    print(f"  comparison: {type(finished[0]).__name__}", flush=True)


def try_it(app: QApplication, window: MainWindow) -> None:
    view = window.try_view
    wait_until(app, view.predict_button.isEnabled, 120)
    view.text.setPlainText("I was charged twice for my order and the refund never arrived")
    view.predict_button.click()
    settle(app)


def shoot(app: QApplication, window: MainWindow, out: Path, prefix: str, palettes: dict[str, QPalette],
          pages: list[str]) -> None:
    """Each page in each palette: OUT/[dark-][prefix]N-name.png."""
    for scheme, palette in palettes.items():
        app.setPalette(palette)
        settle(app, 0.3)
        for name in pages:
            window.show_start() if name == "Start" else window.show_page(name)
            settle(app, 0.8)
            path = out / f"{'' if scheme == 'light' else scheme + '-'}{prefix}{FILES[name]}.png"
            window.grab().save(str(path))
            print(f"  wrote {path}")
    app.setPalette(palettes["light"])
    settle(app, 0.3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="training steps per demo run")
    parser.add_argument("--size", default=f"{SIZE[0]}x{SIZE[1]}", help="the window's size, WIDTHxHEIGHT")
    parser.add_argument("--dark", action="store_true", help="also render every picture in the dark palette")
    parser.add_argument("--before", action="store_true", help="also render every page before the first run")
    parser.add_argument("--out", type=Path, default=OUT, help="the folder the pictures go to")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    out = args.out.resolve()

    work = Path(tempfile.mkdtemp(prefix="workbench-screens-"))
    os.chdir(work)  # runs appear as runs/<name>, as they would for a user
    app = QApplication(sys.argv)
    collector = collect_garbage_on_ui_thread()  # noqa: F841 - as the app does
    app.setApplicationName("screenshots")
    app.setOrganizationName("bert-workbench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "settings"))
    palettes = {"light": QPalette(app.palette())}
    if args.dark:
        palettes["dark"] = dark_palette()

    config = demo_config(runs_root="runs")
    config.training.max_steps = args.steps
    config.training.eval_strategy = "steps"
    config.training.eval_steps = max(args.steps // 4, 1)
    config.training.logging_steps = 1
    window = MainWindow(config)
    window.resize(width, height)
    window.show()
    settle(app)
    out.mkdir(parents=True, exist_ok=True)
    if args.before:
        shoot(app, window, out, "before-", palettes, list(FILES))

    print("Training two demo runs and a comparison…", flush=True)
    train(app, window, 3e-4)
    train(app, window, 1e-4)
    compare(app, window)
    settle(app)

    window.runs_view.select_rows(0, 1)
    window.show_page("Try it")
    try_it(app, window)
    shoot(app, window, out, "", palettes, list(FILES))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
