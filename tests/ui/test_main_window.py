from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.ui.conftest import stop_if_running
from workbench.core.config import RunConfig, load_config
from workbench.core.events import ProgressReported
from workbench.core.runs import read_status
from workbench.demo import demo_config
from workbench.ui import settings
from workbench.ui.main_window import MainWindow


@pytest.fixture
def make_window(qtbot):
    def make(config: RunConfig | None = None) -> MainWindow:
        window = MainWindow(config)
        qtbot.addWidget(window, before_close_func=lambda w: stop_if_running(qtbot, w.train_view.worker))
        window.show()
        return window

    return make


def test_the_window_opens_with_the_demo_config(make_window, qtbot):
    window = make_window()
    assert [window.nav.item(row).text() for row in range(window.nav.count())] == [
        "Data", "Model", "Freeze", "Train", "Runs", "Compare", "Results", "Try it"]
    assert window.current_config() == demo_config()
    assert "demo" in window.windowTitle()
    qtbot.waitUntil(lambda: "CPU" in window.device_label.text() or "CUDA" in window.device_label.text(), timeout=30_000)

    window.show_page("Runs")
    assert window.stack.currentWidget() is window.runs_view


def test_save_and_reopen_a_run_config(make_window, tmp_path):
    window = make_window()
    window.show_page("Train")
    window.train_view.batch_size.setValue(8)
    assert window.isWindowModified()
    path = tmp_path / "configs" / "my-run.json"
    path.parent.mkdir()
    assert window.save_config(path)
    saved = load_config(path)
    assert saved.training.batch_size == 8 and saved == window.current_config()
    assert not window.isWindowModified() and "my-run.json" in window.windowTitle()

    window.show_config(RunConfig())
    assert window.current_config().training.batch_size == 32
    assert window.open_config(path)
    assert window.current_config() == saved
    assert settings.recent_files()[0] == str(path.resolve())
    assert settings.last_folder("configs") == str(path.parent)


def test_closing_during_a_run_stops_it_with_a_checkpoint(make_window, qtbot, long_tiny_config):
    window = make_window(long_tiny_config)
    asked = []
    window._confirm_close = lambda: asked.append(True) or True
    window.show_page("Train")
    steps = []
    window.train_view.worker.event_received.connect(
        lambda event: steps.append(event.step) if isinstance(event, ProgressReported) else None
    )
    qtbot.mouseClick(window.train_view.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(steps), timeout=120_000)
    assert settings.recent_backbones() == [long_tiny_config.backbone.name]

    with qtbot.waitSignal(window.train_view.run_finished, timeout=120_000) as finished:
        assert not window.close()  # held open until the run has stopped
        assert window.isVisible() and asked == [True]
    result = finished.args[0]
    qtbot.waitUntil(lambda: not window.isVisible())
    assert result.stopped
    run_dir = Path(result.run_dir)
    assert read_status(run_dir)["status"] == "stopped"
    assert list((run_dir / "checkpoints").glob("checkpoint-*/optimizer.pt"))
    assert (run_dir / "model" / "config.json").is_file()


def test_closing_when_idle_asks_nothing_and_keeps_the_geometry(make_window):
    window = make_window()
    window._confirm_close = lambda: pytest.fail("asked although no run is going")
    window.resize(700, 500)  # the offscreen screen is 800 x 600; a new window would be 1280 x 800
    size = window.size()  # 700 x 500, or the pages' minimum size if that is larger
    assert window.close()
    assert make_window().size() == size and size.width() < 1280


def test_a_finished_run_opens_on_the_results_and_try_it_pages(make_window, qtbot, tiny_config):
    window = make_window(tiny_config)
    window.show_page("Train")
    with qtbot.waitSignal(window.train_view.run_finished, timeout=120_000) as finished:
        qtbot.mouseClick(window.train_view.start_button, Qt.MouseButton.LeftButton)
    run_dir = Path(finished.args[0].run_dir)
    assert window.results_view.run_dir() == run_dir
    with qtbot.waitSignal(window.results_view.loaded, timeout=60_000) as loaded:
        window.show_page("Results")
    assert loaded.args[0].metrics["f1"] == pytest.approx(finished.args[0].final_metrics["validation_f1"])
    window.show_page("Try it")
    qtbot.waitUntil(window.try_view.predict_button.isEnabled, timeout=60_000)
    assert window.try_view.predictor().label_names == ["0", "1"]
