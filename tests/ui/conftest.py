import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt: no display needed

import pytest
from PySide6.QtCore import QSettings

from workbench.core.config import RunConfig


@pytest.fixture(scope="session", autouse=True)
def garbage_collected_on_ui_thread(qapp):
    """As the app does: no automatic collection in the training or pool threads."""
    from workbench.ui.app import collect_garbage_on_ui_thread

    collector = collect_garbage_on_ui_thread()
    yield collector
    collector.timer.stop()
    gc.enable()


@pytest.fixture(autouse=True)
def isolated_settings(qapp, tmp_path):
    """QSettings in a temporary folder, so tests neither read nor write the user's settings."""
    qapp.setOrganizationName("bert-workbench-tests")
    qapp.setApplicationName("ui-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture
def long_tiny_config(tiny_config):
    """Long enough (400 steps) that a stop or a close lands mid-run; evaluates rarely."""
    tiny_config.training.max_steps = 400
    tiny_config.training.eval_steps = 200
    return tiny_config


def stop_if_running(qtbot, worker) -> None:
    """For teardown (pytest-qt's `before_close_func`): a widget deleted with its run going would abort Qt."""
    if worker.is_running:
        with qtbot.waitSignal(worker.finished, timeout=120_000):
            worker.stop()


def answer_start(view, config: RunConfig) -> None:
    """Answer the view's Start as the main window does: train `config` with the page's edits written in."""

    def start() -> None:
        view.update_config(config)
        view.start(config)

    view.start_requested.connect(start)


@pytest.fixture
def train_view(qtbot):
    from workbench.ui.views.train_view import TrainView

    view = TrainView()
    qtbot.addWidget(view, before_close_func=lambda view: stop_if_running(qtbot, view.worker))
    return view


def points(curve) -> list[float]:
    """The x values a pyqtgraph curve draws (it reports None when it has none)."""
    x, _ = curve.getData()
    return [] if x is None else list(x)
