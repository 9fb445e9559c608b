"""The navigation says where each step stands, has icons, and the menus' shortcuts switch pages and train."""

import re

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtTest import QTest

from tests.ui.conftest import stop_if_running
from workbench.core.events import ProgressReported, RunFinished
from workbench.ui.main_window import MainWindow

RUN_TIMEOUT_MS = 120_000


@pytest.fixture
def window(qtbot, tiny_config):
    window = MainWindow(tiny_config)
    qtbot.addWidget(window, before_close_func=lambda w: stop_if_running(qtbot, w.train_view.worker))
    window.show()
    yield window
    QThreadPool.globalInstance().waitForDone(120_000)  # no background job outlives its window


def test_each_step_says_where_it_stands_before_and_after_a_run(window, qtbot):
    nav = window.nav
    assert [nav.item(row).text() for row in range(nav.count())] == list(window.pages)
    qtbot.waitUntil(lambda: nav.kind("Data") in ("done", "warn"), timeout=60_000)
    assert re.fullmatch(r"120 rows, 2 labels, (no warnings|\d+ warnings?)", nav.state("Data")), nav.state("Data")
    assert nav.state("Train") == "ready: press Start" and nav.state("Results").startswith("not yet")
    qtbot.waitUntil(lambda: nav.state("Model").endswith(" M"), timeout=60_000)
    qtbot.waitUntil(lambda: nav.state("Freeze").startswith("full fine-tune"), timeout=60_000)
    qtbot.waitUntil(lambda: not nav.item(0).icon().isNull())  # drawn just after the window shows

    seen = []
    window.train_view.worker.event_received.connect(
        lambda event: (window._update_steps(), seen.append(nav.state("Train")))
        if isinstance(event, ProgressReported) else None)
    window.show_page("Train")
    with qtbot.waitSignal(window.train_view.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        window.train_view.start_button.click()
    result = finished.args[0]
    assert isinstance(result, RunFinished)
    assert seen and all(re.fullmatch(r"running \d+ %", state) for state in seen), seen
    window._update_steps()
    assert nav.state("Train") == f"finished, F1 {result.best_metric:.2f}"
    assert nav.kind("Train") in ("done", "warn")
    assert nav.state("Results") == f"available: {window.results_view.run_dir().name}"
    qtbot.waitUntil(lambda: nav.state("Runs") == "1 run", timeout=60_000)


def test_shortcuts_switch_pages_and_are_listed_in_help(window, qtbot):
    window.activateWindow()
    qtbot.waitExposed(window)
    for number, name in enumerate(window.pages, start=1):
        QTest.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == name
    listed = dict((what, keys) for keys, what in window.shortcuts())
    assert listed["Data"] == "Ctrl+1" and listed["Try it"] == "Ctrl+8"
    assert listed["Open data…"] == "Ctrl+O" and listed["Train"].startswith("Ctrl+Return")
    assert listed["Open run config…"] == "Ctrl+Shift+O"
    window.show_page("Try it")  # there Ctrl+Return predicts: the Train action steps aside
    assert not window.train_action.isEnabled()
    window.show_page("Data")
    assert window.train_action.isEnabled()


def test_ctrl_return_goes_to_the_train_page_and_starts(window, qtbot):
    window.activateWindow()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.train_view.run_finished, timeout=RUN_TIMEOUT_MS):
        QTest.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == "Train" and window.train_view.worker.is_running
