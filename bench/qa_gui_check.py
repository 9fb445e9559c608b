"""Extractive QA end to end in the window, offscreen, as a user would: open a run config's data on
the Data page, press Start on the Train page, wait for the Results page, ask the Try it page a
question, and save each page as a PNG to look at. Prints the run's metrics and the answer.

    .venv/bin/python bench/qa_gui_check.py run.json --out /tmp/qa-gui
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from workbench.core.config import load_config
from workbench.core.events import RunFinished
from workbench.ui.self_test import wait_until


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="a qa run config (as the GUI saves it)")
    parser.add_argument("--out", type=Path, default=Path("qa-gui"), help="folder for the page pictures")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from workbench.ui.app import application
    from workbench.ui.main_window import MainWindow

    app = application()
    window = MainWindow(load_config(args.config))
    window.resize(1400, 900)
    window.show()
    if not wait_until(lambda: window.data_view.report() is not None or window.data_view.error()):
        raise SystemExit("The Data page did not finish its check.")
    if window.data_view.error():
        raise SystemExit(window.data_view.error())
    window.show_page("Data")
    app.processEvents()
    window.grab().save(str(args.out / "data.png"))

    finished: list[object] = []
    window.train_view.run_finished.connect(finished.append)
    window.show_page("Train")
    window.train_view.start_button.click()
    if not wait_until(lambda: finished, timeout_ms=3_600_000):
        raise SystemExit("The run did not finish.")
    result = finished[0]
    window.grab().save(str(args.out / "train.png"))
    if not isinstance(result, RunFinished):
        raise SystemExit(f"The run did not finish: {getattr(result, 'message', result)}")
    print("RunFinished", json.dumps(result.final_metrics))

    shown: list[object] = []
    window.results_view.loaded.connect(shown.append)
    window.show_page("Results")
    wait_until(lambda: shown, timeout_ms=120_000)
    window.grab().save(str(args.out / "results.png"))
    question = window.results_view.qa.selected()
    print("worst question:", question.question, "| true:", question.answers, "| predicted:", repr(question.pred))

    window.show_page("Try it")
    try_view = window.try_view
    if not wait_until(lambda: try_view.predict_button.isEnabled(), timeout_ms=120_000):
        raise SystemExit("The Try it page did not load the model.")
    try_view.text.setPlainText(question.question)
    try_view.pair.setPlainText(question.context)
    before = try_view.answer.text()
    try_view.predict_button.click()
    wait_until(lambda: try_view.answer.text() != before, timeout_ms=120_000)
    print("Try it:", try_view.answer.text())
    window.grab().save(str(args.out / "try.png"))
    window.close()


if __name__ == "__main__":
    main()
