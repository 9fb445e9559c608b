import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QTreeView

from tests.ui.pages_fixtures import WAIT_MS, config_on, idle_pool, shown_freeze_page, tiny_backbone  # noqa: F401
from workbench.core.config import RunConfig, TaskConfig
from workbench.core.model.freezing import apply_freeze
from workbench.core.model.heads import load_model
from workbench.ui.views.freeze_view import FreezeView

pytestmark = pytest.mark.usefixtures("idle_pool")


@pytest.fixture
def config(tiny_backbone) -> RunConfig:  # noqa: F811
    return config_on(tiny_backbone)


@pytest.fixture
def view(qtbot, config) -> FreezeView:
    return shown_freeze_page(qtbot, config)


def trainable_in_torch(config: RunConfig, frozen: list[str]) -> int:
    model = load_model(config.backbone, config.task, ["a", "b"])
    apply_freeze(model, frozen)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def click_check_box(qtbot, view: FreezeView, path: str) -> None:
    """Select the row and press space, as a keyboard user toggles a check box."""
    tree = view.findChild(QTreeView)
    tree.setCurrentIndex(view.model().index_for(path))
    qtbot.keyClick(tree.viewport(), Qt.Key.Key_Space)


def preset_button(view: FreezeView, text: str) -> QPushButton:
    return next(button for button in view.findChildren(QPushButton) if button.text() == text)


@pytest.mark.parametrize("preset, text, start", [
    ("head_only", "Head only", "Full fine-tune"),
    ("embeddings", "Freeze embeddings", "Full fine-tune"),
    ("lower_half", "Freeze lower half", "Full fine-tune"),
    ("full", "Full fine-tune", "Head only"),
])
def test_presets_match_torch(qtbot, view, config, preset, text, start):
    qtbot.mouseClick(preset_button(view, start), Qt.MouseButton.LeftButton)
    button = preset_button(view, text)
    with qtbot.waitSignal(view.changed):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.isChecked() and not preset_button(view, start).isChecked()
    view.update_config(config)
    assert (config.freeze.preset, config.freeze.frozen) == (preset, [])
    model = view.model()
    expected = trainable_in_torch(config, model.frozen_paths())
    assert model.trainable_parameters() == expected
    assert view.summary().startswith(f"Trainable {expected:,} of {model.total_parameters():,} parameters")


def test_clicking_layers_makes_a_custom_mask(qtbot, view, config):
    with qtbot.waitSignal(view.changed):
        click_check_box(qtbot, view, "bert.encoder.layer.1.attention")
    model = view.model()
    assert model.frozen_paths() == ["bert.encoder.layer.1.attention"]
    assert not any(button.isChecked() for button in view.findChildren(QPushButton))
    view.update_config(config)
    assert (config.freeze.preset, config.freeze.frozen) == ("custom", ["bert.encoder.layer.1.attention"])
    assert model.trainable_parameters() == trainable_in_torch(config, config.freeze.frozen)
    assert "Backward work saved: about" in view.summary()

    click_check_box(qtbot, view, "bert.encoder.layer.1.attention")  # and back: the full preset again
    view.update_config(config)
    assert (config.freeze.preset, config.freeze.frozen) == ("full", [])


def test_head_check_box_cannot_be_clicked(qtbot, view):
    model = view.model()
    head = model.index_for("classifier")
    click_check_box(qtbot, view, "classifier")
    assert model.data(head, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.frozen_paths() == []


def test_show_config_restores_a_mask_quietly(qtbot, view, config):
    config.freeze.preset, config.freeze.frozen = "custom", ["bert.embeddings", "bert.encoder.layer.0.output"]
    with qtbot.assertNotEmitted(view.changed):
        view.show_config(config)
    assert view.model().frozen_paths() == config.freeze.frozen
    config.freeze.frozen = ["bert.embeddings", "bert.decoder"]
    view.show_config(config)
    assert view.model().frozen_paths() == ["bert.embeddings"]
    assert "'bert.decoder', which is not a module of this model" in view.error()


def test_a_new_task_rebuilds_the_tree_and_keeps_the_mask(qtbot, view, config):
    qtbot.mouseClick(preset_button(view, "Freeze lower half"), Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(view.tree_shown, timeout=WAIT_MS):
        view.set_backbone(config.backbone.name, "token")
    assert preset_button(view, "Freeze lower half").isChecked()
    config.task = TaskConfig(type="token")
    assert view.model().trainable_parameters() == trainable_in_torch(config, view.model().frozen_paths())


def test_show_config_with_another_task_uses_the_configs_mask(qtbot, view, config):
    qtbot.mouseClick(preset_button(view, "Head only"), Qt.MouseButton.LeftButton)
    config.task.type = "token"
    config.freeze.preset, config.freeze.frozen = "custom", ["bert.encoder.layer.0"]
    with qtbot.waitSignal(view.tree_shown, timeout=WAIT_MS):
        view.show_config(config)
        out = RunConfig()
        view.update_config(out)  # while the tree is being built, the config's mask is the page's
        assert out.freeze == config.freeze
    assert view.model().frozen_paths() == ["bert.encoder.layer.0"]


def test_unusable_backbone_shows_the_sentence(qtbot, view, tmp_path):
    view.set_backbone(str(tmp_path), "single_label")
    qtbot.waitUntil(lambda: "has no config.json" in view.error(), timeout=WAIT_MS)
    assert view.model() is None
    config = RunConfig()
    view.update_config(config)
    assert config.freeze.preset == "full"
