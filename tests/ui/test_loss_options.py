import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QPushButton

from tests.ui.conftest import stop_if_running
from tests.ui.pages_fixtures import WAIT_MS, idle_pool, tiny_backbone  # noqa: F401
from workbench.core.config import RunConfig
from workbench.core.events import EvalFinished
from workbench.ui.main_window import MainWindow
from workbench.ui.views.curves import CurvesWidget
from workbench.ui.views.model_view import ModelView

pytestmark = pytest.mark.usefixtures("idle_pool")


@pytest.fixture
def view(qtbot) -> ModelView:
    view = ModelView()
    qtbot.addWidget(view)
    view.show()
    return view


def combo_with(view, data) -> QComboBox:
    return next(c for c in view.findChildren(QComboBox) if c.findData(data) >= 0)


def spin(view, tip: str) -> QDoubleSpinBox:
    return next(s for s in view.findChildren(QDoubleSpinBox) if tip in s.toolTip())


def round_trip(view: ModelView, config: RunConfig) -> RunConfig:
    view.show_config(config)
    out = RunConfig()
    view.update_config(out)
    return out


def test_loss_options_round_trip(view):
    config = RunConfig()
    config.task.class_weights, config.task.loss, config.task.focal_gamma = [0.5, 2.0, 1.25], "focal", 3.5
    assert round_trip(view, config).task == config.task
    assert combo_with(view, "typed").currentText() == "Typed in the run config: 0.5, 2, 1.25"
    assert spin(view, "Focal loss").isEnabled() and not spin(view, "target spread").isEnabled()

    config.task.class_weights, config.task.loss, config.task.label_smoothing = True, "cross_entropy", 0.125
    assert round_trip(view, config).task == config.task
    assert combo_with(view, True).findData("typed") < 0  # the typed weights are gone with their config
    assert not spin(view, "Focal loss").isEnabled() and spin(view, "target spread").isEnabled()
    assert round_trip(view, RunConfig()).task == RunConfig().task


def test_the_user_picks_focal_loss_and_multi_label_turns_it_off(qtbot, view):
    view.show_config(RunConfig())
    loss = combo_with(view, "focal")
    loss.setFocus()
    with qtbot.waitSignal(view.changed):
        qtbot.keyClick(loss, Qt.Key.Key_Down)  # cross-entropy -> focal
    gamma = spin(view, "Focal loss")
    assert gamma.isEnabled()
    with qtbot.waitSignal(view.changed):
        gamma.setValue(1.5)
    out = RunConfig()
    view.update_config(out)
    assert (out.task.loss, out.task.focal_gamma, out.task.label_smoothing) == ("focal", 1.5, 0.0)
    assert out.validate() == ["data.source is empty: name a data file, folder or Hub dataset id."]

    view.set_task("multi_label")  # binary cross-entropy: no focal loss, no smoothing, weights as pos_weight
    assert not loss.isEnabled() and not gamma.isEnabled() and not spin(view, "target spread").isEnabled()
    view.update_config(out)
    assert (out.task.type, out.task.loss, out.task.label_smoothing) == ("multi_label", "cross_entropy", 0.0)


def test_apply_class_weights_from_the_data_page(qtbot, tmp_path, tiny_backbone):  # noqa: F811
    rows = [f"the film was good {i},pos" for i in range(40)] + [f"the film was bad {i},neg" for i in range(10)]
    (tmp_path / "reviews.csv").write_text("\n".join(["text,label", *rows]) + "\n")
    config = RunConfig()
    config.data.source, config.backbone.name = str(tmp_path / "reviews.csv"), str(tiny_backbone)
    window = MainWindow(config)
    qtbot.addWidget(window, before_close_func=lambda w: stop_if_running(qtbot, w.train_view.worker))
    window.show()
    data = window.data_view
    button = next(b for b in data.findChildren(QPushButton) if b.text() == "Apply class weights")
    qtbot.waitUntil(lambda: data.suggestion() is not None and button.isVisible(), timeout=WAIT_MS)
    assert data.suggestion().startswith("'pos' has 36 training rows and 'neg' only 9;")  # 10% held out, stratified
    assert window.current_config().task.class_weights is False

    with qtbot.waitSignal(data.changed):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.current_config().task.class_weights is True
    assert window.isWindowModified() and not button.isEnabled()
    assert combo_with(window.model_view, True).currentText() == "From the training label counts"


def test_an_extra_metric_is_plotted_unbounded(qtbot):
    curves = CurvesWidget()
    qtbot.addWidget(curves)
    curves.set_metric("mean_prediction")
    assert list(curves.plots["metric"].getViewBox().state["limits"]["yLimits"]) == [None, None]
    for step, value in ((6, 1.4), (12, 2.5)):
        curves.add_event(EvalFinished(step, 0.5, "validation", {"f1": 0.5, "mean_prediction": value}))
    assert list(curves.live.series["metric"].y) == [1.4, 2.5]
    curves.set_metric("f1")
    assert list(curves.plots["metric"].getViewBox().state["limits"]["yLimits"]) == [-0.05, 1.05]
