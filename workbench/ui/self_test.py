"""`workbench --self-test`: the whole app once, offscreen, to show that an install (the bundle above all) works.

It opens the main window on the demo, trains a few steps by pressing the Train page's Start button,
exports the run's model, loads the export with `transformers.pipeline` and checks that the
pipeline's predictions are the app's own (the Try it page's). It prints its timings and returns
0, or prints one sentence to stderr and returns 1. Runs and exports go to a temporary folder.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

STEPS = 4
TIMEOUT_MS = 600_000
CHECKED_ROWS = 8
MAX_SCORE_GAP = 1e-4


class SelfTestFailed(Exception):
    """One sentence saying which stage failed."""


def seconds_since_process_start() -> float:
    import psutil

    return time.time() - psutil.Process().create_time()


def run_self_test(runs_root: str | Path | None = None) -> int:
    """Run the self-test; `runs_root` (default: a temporary folder) holds its run, a temporary folder its export."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # read when the QApplication is made (the tests' is made already)
    with tempfile.TemporaryDirectory(prefix="workbench-self-test-") as tmp:
        try:
            timings = _self_test(Path(runs_root or tmp), Path(tmp))
        except SelfTestFailed as exc:
            print(f"Self-test failed: {exc}", file=sys.stderr)
            return 1
        except Exception as exc:  # anything unforeseen still ends in one sentence and a non-zero exit
            print(f"Self-test failed: {type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
            return 1
    print("Self-test passed: " + ", ".join(f"{name} {value:.1f} s" for name, value in timings.items()) + ".")
    return 0


def _self_test(runs_root: Path, tmp: Path) -> dict[str, float]:
    from workbench.core.errors import WorkbenchError
    from workbench.core.events import RunFinished
    from workbench.core.export.folder import export_run
    from workbench.demo import DEMO_CSV, demo_config
    from workbench.ui.app import application, collect_garbage_on_ui_thread
    from workbench.ui.main_window import MainWindow

    timings: dict[str, float] = {}
    app = application()
    collector = collect_garbage_on_ui_thread()
    window = MainWindow(demo_config(runs_root=str(runs_root)))
    try:
        window.show()
        app.processEvents()
        timings["window shown after start"] = seconds_since_process_start()

        # As a user would, let the Data page finish opening and checking the demo before pressing Start.
        if not wait_until(lambda: window.data_view.report() is not None or window.data_view.error()):
            raise SelfTestFailed(f"the Data page did not finish checking the demo data within {TIMEOUT_MS // 1000} s.")
        if window.data_view.error():
            raise SelfTestFailed(f"the Data page could not check the demo data: {window.data_view.error()}")
        timings["demo data checked after start"] = seconds_since_process_start()

        started = time.monotonic()
        window.show_page("Train")
        window.train_view.max_steps.setValue(STEPS)
        results: list[object] = []
        window.train_view.run_finished.connect(results.append)
        window.train_view.start_button.click()
        if not wait_until(lambda: results):
            raise SelfTestFailed(f"the demo run did not finish within {TIMEOUT_MS // 1000} s.")
        result = results[0]
        if not isinstance(result, RunFinished):
            raise SelfTestFailed(f"the demo run failed: {result.message}")
        timings[f"{STEPS} training steps"] = time.monotonic() - started

        started = time.monotonic()
        try:
            export = export_run(result.run_dir, tmp / "export").dest
        except WorkbenchError as exc:
            raise SelfTestFailed(f"the export failed: {exc}") from None
        with DEMO_CSV.open(encoding="utf-8", newline="") as file:
            texts = [row["text"] for _, row in zip(range(CHECKED_ROWS), csv.DictReader(file))]
        _compare_with_pipeline(Path(result.model_dir), export, texts)
        timings["export and reload"] = time.monotonic() - started
    finally:
        window.close()
        window.deleteLater()
        collector.timer.stop()
    return timings


def wait_until(condition: Callable[[], object], timeout_ms: int = TIMEOUT_MS) -> bool:
    """Run the event loop until `condition()` holds (True) or the time is up (False)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    poll = QTimer(loop, interval=50)
    poll.timeout.connect(lambda: condition() and loop.quit())
    deadline = QTimer(loop, interval=timeout_ms, singleShot=True)
    deadline.timeout.connect(loop.quit)
    if not condition():
        poll.start()
        deadline.start()
        loop.exec()
    return bool(condition())


def _compare_with_pipeline(model_dir: Path, export: Path, texts: list[str]) -> None:
    """The export, loaded as any transformers user would, must give the app's predictions."""
    from transformers import pipeline

    from workbench.core.export.predict import Predictor

    ours = Predictor.load(model_dir).predict(texts)
    theirs = pipeline("text-classification", model=str(export), device="cpu")(texts)
    for text, mine, other in zip(texts, ours, theirs):
        if other["label"] != mine.label or abs(other["score"] - mine.confidence) > MAX_SCORE_GAP:
            raise SelfTestFailed(f"the exported model predicts {other['label']} ({other['score']:.4f}) for "
                                 f"'{text[:40]}…' where the app predicts {mine.label} ({mine.confidence:.4f}).")
