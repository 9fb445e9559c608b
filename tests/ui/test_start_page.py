"""The start page: your own data (file, folder, Hub id, dropped), the demos, recent runs and run configs."""

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDropEvent

from tests.tiny_models import write_sentiment_csv
from workbench.cli import build_parser
from workbench.core.config import RunConfig, load_config
from workbench.demo import demo_config
from workbench.ui import settings
from workbench.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    window = MainWindow(start_page=True)
    qtbot.addWidget(window)
    window.show()
    yield window
    QThreadPool.globalInstance().waitForDone(120_000)  # no background job outlives its window


def test_the_window_opens_on_the_start_page_when_asked_and_on_the_demo_otherwise(window, qtbot):
    assert window.current_page() == "Start" and window.start_view.isVisible()
    assert window.nav.currentRow() == -1
    assert build_parser().parse_args(["--start"]).start and not build_parser().parse_args([]).start
    window.show_page("Model")
    assert window.current_page() == "Model"
    window.show_start()
    assert window.current_page() == "Start"

    plain = MainWindow()  # `workbench` and `make run`: the demo on the Data page, as the README's tour says
    qtbot.addWidget(plain)
    assert plain.current_page() == "Data" and "demo" in plain.windowTitle()


def test_a_demo_opens_on_the_data_page(window, qtbot):
    assert list(window.start_view.demo_buttons) == ["single_label", "token", "qa"]
    qtbot.mouseClick(window.start_view.demo_buttons["token"], Qt.MouseButton.LeftButton)
    assert window.current_page() == "Data"
    config = window.current_config()
    assert config.task.type == "token" and config.data.source.endswith("ner_sample.conll")


def test_own_data_opens_with_a_fresh_config_also_when_dropped(window, qtbot, tmp_path):
    csv = write_sentiment_csv(tmp_path / "reviews.csv")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(csv))])
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.data_view.loaded, timeout=60_000):
        window.start_view.dropEvent(drop)
    assert window.current_page() == "Data"
    config = window.current_config()
    assert config.data.source == str(csv)
    assert config.training == RunConfig().training  # not the demo's settings
    assert config.output.run_name == "reviews"  # the run is named after the data
    assert "reviews.csv" in window.windowTitle()


def test_recent_runs_and_configs_reopen(window, qtbot, trained_run, tmp_path):
    run_dir = trained_run("single_label")
    saved, config = tmp_path / "my-run.json", demo_config("qa")
    config.save(saved)
    settings.add_recent_file(saved)
    settings.add_recent_run(run_dir)
    settings.add_recent_run(tmp_path / "gone")  # a run folder deleted since: not offered
    window.start_view.refresh()
    view = window.start_view
    items = [view.recent.item(row).text() for row in range(view.recent.count())]
    assert items == [f"Run: {run_dir.name}", "Config: my-run.json"] and not view.recent_empty.isVisible()

    view.recent.itemActivated.emit(view.recent.item(0))
    assert window.current_page() == "Results" and window.results_view.run_dir() == Path(run_dir)
    assert window.current_config().data.source == load_config(Path(run_dir) / "config.json").data.source
    window.show_start()
    view.recent.itemActivated.emit(view.recent.item(view.recent.count() - 1))
    assert window.current_page() == "Data" and window.current_config() == config
