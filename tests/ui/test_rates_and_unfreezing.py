"""The Freeze page's learning-rate and unfreezing columns, and the loss plot's marks where layers joined."""

import pytest
from PySide6.QtCore import Qt

from tests.ui.conftest import answer_start
from tests.ui.pages_fixtures import WAIT_MS, config_on, idle_pool, shown_freeze_page, tiny_backbone  # noqa: F401
from tests.ui.test_train_view import RUN_TIMEOUT_MS, click
from workbench.core.config import RunConfig
from workbench.core.events import LayersUnfrozen, RunFinished, StepLogged
from workbench.core.model.freezing import build_layer_tree
from workbench.core.model.heads import load_model
from workbench.core.training.layer_rates import layer_rates, node_ranges
from workbench.ui.qmodels.layer_tree_model import JOINS, RATE, LayerTreeModel
from workbench.ui.views.curves import CurvesWidget
from workbench.ui.views.freeze_view import FreezeView

pytestmark = pytest.mark.usefixtures("idle_pool")

LAYER_0, LAYER_1, EMBEDDINGS = "bert.encoder.layer.0", "bert.encoder.layer.1", "bert.embeddings"


@pytest.fixture
def config(tiny_backbone) -> RunConfig:  # noqa: F811
    config = config_on(tiny_backbone)
    config.training.learning_rate = 1e-3
    return config


@pytest.fixture
def view(qtbot, config) -> FreezeView:
    return shown_freeze_page(qtbot, config)


def cell(view: FreezeView, path: str, column: int, role=Qt.ItemDataRole.DisplayRole):
    return view.model().data(view.model().index_for(path, column), role)


def test_the_rate_column_follows_the_decay_and_the_head_multiplier(qtbot, view, config):
    assert [cell(view, p, RATE) for p in (LAYER_1, LAYER_0, EMBEDDINGS, "classifier")] == ["×1"] * 4
    with qtbot.waitSignal(view.changed):
        view.schedule.decay.setValue(0.5)
    view.schedule.head_multiplier.setValue(2.0)
    assert [cell(view, p, RATE) for p in (LAYER_1, LAYER_0, EMBEDDINGS, "classifier", "bert.pooler")] == \
        ["×1", "×0.5", "×0.25", "×2", "×1"]
    assert cell(view, "bert.encoder", RATE) == "×0.5–1" and cell(view, f"{LAYER_0}.attention", RATE) == "×0.5"
    assert cell(view, LAYER_0, RATE, Qt.ItemDataRole.ToolTipRole) == "Learning rate 0.0005 (base 0.001)."
    view.update_config(config)
    assert (config.training.layer_lr_decay, config.training.head_lr_multiplier) == (0.5, 2.0)
    assert config.freeze.unfreeze_start_layers is None  # gradual unfreezing stays off


def test_the_joins_column_shows_the_schedule_and_the_mask_stays_the_floor(qtbot, view, config):
    assert cell(view, LAYER_0, JOINS) == ""  # off
    box = view.schedule
    assert box.start_layers.maximum() == 2  # the tiny BERT's layers
    box.gradual.setChecked(True)
    assert [cell(view, p, JOINS) for p in (LAYER_1, LAYER_0, EMBEDDINGS, "classifier")] == \
        ["from epoch 2", "from epoch 3", "from epoch 4", "from the start"]
    box.every.setCurrentText("every N steps")
    box.every_steps.setValue(10)
    box.start_layers.setValue(1)
    assert [cell(view, p, JOINS) for p in (LAYER_1, f"{LAYER_0}.output", EMBEDDINGS, "bert.encoder")] == \
        ["from the start", "from step 10", "from step 20", ""]
    view.update_config(config)
    assert (config.freeze.unfreeze_start_layers, config.freeze.unfreeze_every_steps) == (1, 10)

    view.model().set_frozen([EMBEDDINGS, LAYER_0])  # the lower half: frozen, it never joins
    assert [cell(view, p, JOINS) for p in (LAYER_1, LAYER_0, EMBEDDINGS)] == ["from the start", "frozen", "frozen"]

    shown = FreezeView()  # a saved config shows its settings again
    qtbot.addWidget(shown)
    with qtbot.waitSignal(shown.tree_shown, timeout=WAIT_MS):
        shown.show_config(config)
    assert shown.schedule.gradual.isChecked() and shown.schedule.every_steps.value() == 10
    assert cell(shown, f"{LAYER_0}.output", JOINS) == "from step 10"


def test_showing_a_config_is_not_an_edit(qtbot, view, config):
    config.training.layer_lr_decay = 0.8
    with qtbot.assertNotEmitted(view.changed):
        view.show_config(config)
    assert cell(view, LAYER_0, RATE) == "×0.8"


def test_the_layer_tree_model_with_rates_keeps_the_qt_contract(qtmodeltester, tiny_backbone):  # noqa: F811
    config = RunConfig()
    config.backbone.name = str(tiny_backbone)
    tree = build_layer_tree(load_model(config.backbone, config.task, ["a", "b"]))
    model = LayerTreeModel(tree)
    model.set_rates(node_ranges(tree, layer_rates(tree, 0.9, 5.0)), 2e-5)
    model.set_joins({LAYER_1: "from step 4"})
    qtmodeltester.check(model)


def test_the_loss_plot_marks_each_join_and_a_resume_replaces_the_marks_after_its_checkpoint(qtbot):
    curves = CurvesWidget()
    qtbot.addWidget(curves)
    for step in (1, 2, 3):
        curves.add_event(StepLogged(step, 0.1, 0.5, 1e-3, None, None))
    curves.add_event(LayersUnfrozen(2, [LAYER_1], 100))
    curves.add_event(LayersUnfrozen(4, [LAYER_0, EMBEDDINGS], 200))
    assert [(line.value(), line.label.format) for line in curves.markers] == \
        [(2, "+layer 1"), (4, "+layer 0, embeddings")]
    assert all(line in curves.plots["loss"].items and line.isVisible() for line in curves.markers)
    curves.add_event(LayersUnfrozen(4, [LAYER_0], 150))  # resumed from step 3: step 4 joins again
    assert [(line.value(), line.label.format) for line in curves.markers] == [(2, "+layer 1"), (4, "+layer 0")]
    lines = list(curves.markers)
    curves.clear()
    assert curves.markers == [] and not any(line.isVisible() for line in lines)
    curves.load_events([LayersUnfrozen(6, [EMBEDDINGS], 300)])
    assert [line.value() for line in curves.markers] == [6] and curves.markers[0] is lines[0]  # reused


def test_a_run_with_gradual_unfreezing_marks_its_joins_on_the_live_plot(train_view, qtbot, tiny_config):
    tiny_config.freeze.unfreeze_start_layers = 0
    tiny_config.freeze.unfreeze_every_steps = 3
    train_view.show_config(tiny_config)
    answer_start(train_view, tiny_config)
    with qtbot.waitSignal(train_view.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        click(qtbot, train_view.start_button)
    assert isinstance(finished.args[0], RunFinished)
    assert [(line.value(), line.label.format) for line in train_view.curves.markers] == \
        [(3, "+layer 1"), (6, "+layer 0"), (9, "+embeddings")]
    assert "Step 3: bert.encoder.layer.1 joined" in train_view.log.toPlainText()
