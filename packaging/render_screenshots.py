"""Render the main window's pages to docs/screenshots/*.png, offscreen, after two short demo runs.

    python packaging/render_screenshots.py [--steps 40]

The runs go to a temporary folder and the settings to a temporary file, so nothing of the user's
is read or changed. Two runs (different learning rates) give the Runs page an overlay to show.
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
from PySide6.QtWidgets import QApplication  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.demo import demo_config  # noqa: E402
from workbench.ui.app import collect_garbage_on_ui_thread  # noqa: E402
from workbench.ui.main_window import MainWindow  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZE = (1280, 800)


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


def try_it(app: QApplication, window: MainWindow) -> None:
    view = window.try_view
    wait_until(app, view.predict_button.isEnabled, 120)
    view.text.setPlainText("I was charged twice for my order and the refund never arrived")
    view.predict_button.click()
    settle(app)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="training steps per demo run")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="workbench-screens-"))
    os.chdir(work)  # runs appear as runs/<name>, as they would for a user
    app = QApplication(sys.argv)
    collector = collect_garbage_on_ui_thread()  # noqa: F841 - as the app does
    app.setApplicationName("screenshots")
    app.setOrganizationName("bert-workbench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "settings"))

    config = demo_config(runs_root="runs")
    config.training.max_steps = args.steps
    config.training.eval_strategy = "steps"
    config.training.eval_steps = max(args.steps // 4, 1)
    config.training.logging_steps = 1
    window = MainWindow(config)
    window.resize(*SIZE)
    window.show()
    settle(app)

    print("Training two demo runs…", flush=True)
    train(app, window, 3e-4)
    train(app, window, 1e-4)
    settle(app)

    window.runs_view.select_rows(0, 1)
    OUT.mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(window.pages, start=1):  # Results and Try it show the last run
        window.show_page(name)
        settle(app, 0.8)
        if name == "Try it":
            try_it(app, window)
        path = OUT / f"{number}-{name.lower().replace(' ', '-')}.png"
        window.grab().save(str(path))
        print(f"  wrote {path.relative_to(ROOT)}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
