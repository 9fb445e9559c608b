"""The Freeze page's LoRA box: its edits go into the config, and the tree's LoRA column and the trainable
count follow them and the mask, as peft counts them on the real model."""

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QTreeView

from tests.ui.pages_fixtures import WAIT_MS, config_on, idle_pool, shown_freeze_page, tiny_backbone  # noqa: F401
from workbench.core.config import LoraConfig, RunConfig
from workbench.core.model.freezing import apply_freeze, build_layer_tree
from workbench.core.model.heads import load_model
from workbench.core.model.lora import check_targets, wrap_with_lora
from workbench.ui.qmodels.layer_tree_model import LORA
from workbench.ui.views.freeze_view import FreezeView

pytestmark = pytest.mark.usefixtures("idle_pool")

QUERY = "bert.encoder.layer.0.attention.self.query"
DENSE = "bert.encoder.layer.1.intermediate.dense"


@pytest.fixture
def config(tiny_backbone) -> RunConfig:  # noqa: F811
    return config_on(tiny_backbone)


@pytest.fixture
def view(qtbot, config) -> FreezeView:
    return shown_freeze_page(qtbot, config)


def counts_in_torch(config: RunConfig, frozen: list[str]) -> tuple[int, int]:
    """(trainable, total) of the peft model a run builds; peft's frozen original of the head left out of the total."""
    model = load_model(config.backbone, config.task, ["a", "b"])
    tree = build_layer_tree(model)
    apply_freeze(model, frozen)
    targets = check_targets(tree, frozen, config.lora)
    wrapped, _, _ = wrap_with_lora(model, tree, targets, config.lora, "single_label", config.backbone.name)
    params = list(wrapped.named_parameters())
    return (sum(p.numel() for _, p in params if p.requires_grad),
            sum(p.numel() for name, p in params if ".original_module." not in name))


def lora_cell(view: FreezeView, path: str) -> str:
    return view.model().data(view.model().index_for(path, LORA), Qt.ItemDataRole.DisplayRole)


def test_the_lora_box_edits_the_config_and_the_counts_follow(qtbot, view, config):
    box, tree = view.lora_box(), view.findChild(QTreeView)
    assert not box.isChecked() and tree.isColumnHidden(LORA) and lora_cell(view, QUERY) == ""
    with qtbot.waitSignal(view.changed):
        box.setChecked(True)
    assert not tree.isColumnHidden(LORA)
    assert lora_cell(view, QUERY) == f"+{8 * (32 + 32):,}" and lora_cell(view, DENSE) == ""
    assert lora_cell(view, "bert.encoder") == f"+{4 * 8 * 64:,}"  # q and v of two layers
    assert lora_cell(view, "classifier") == ""  # the head trains in full, without adapters

    assert box.targets.text() == "" and box.resolved.text() == "query, value (peft's defaults for bert)"
    box.rank.clear()
    qtbot.keyClicks(box.rank, "4")
    qtbot.keyClicks(box.targets, "query, value, dense")
    assert box.resolved.text() == "query, value, dense"
    view.update_config(config)
    assert config.lora == LoraConfig(True, 4, 16, 0.1, ["query", "value", "dense"])
    assert lora_cell(view, DENSE) == f"+{4 * (32 + 64):,}"
    trainable, total = counts_in_torch(config, [])
    assert view.summary().startswith(f"Trainable {trainable:,} of {total:,} parameters")
    assert "LoRA rank 4 adapters on 11 Linear modules" in view.summary()


def test_frozen_layers_get_no_adapters(qtbot, view, config):
    view.lora_box().setChecked(True)
    tree = view.findChild(QTreeView)
    tree.setCurrentIndex(view.model().index_for("bert.encoder.layer.0"))
    with qtbot.waitSignal(view.changed):
        qtbot.keyClick(tree.viewport(), Qt.Key.Key_Space)
    assert lora_cell(view, QUERY) == "" and lora_cell(view, "bert.encoder.layer.1.attention.self.query") != ""
    assert view.model().adapted_paths() == ["bert.encoder.layer.1.attention.self.query",
                                            "bert.encoder.layer.1.attention.self.value"]
    view.update_config(config)
    trainable, total = counts_in_torch(config, config.freeze.frozen)
    assert view.summary().startswith(f"Trainable {trainable:,} of {total:,} parameters")


def test_a_target_that_fits_nothing_shows_the_engines_sentence(qtbot, view):
    box = view.lora_box()
    box.setChecked(True)
    box.targets.clear()
    qtbot.keyClicks(box.targets, "qkv")
    assert view.summary() == ("LoRA has no adapters here.\nlora.target_modules names qkv, which is no Linear module "
                              "of this backbone; its Linear modules are dense, key, query, value; leave the list "
                              "empty for this architecture's own (query, value).")
    assert view.model().adapter_parameters() == 0


def test_the_default_targets_are_the_architectures_own_in_the_box_and_the_tree(qtbot, tmp_path):
    from tests.tiny_models import build_tiny_family

    config = config_on(build_tiny_family(tmp_path / "distilbert", "distilbert"))
    config.lora.enabled = True
    view = shown_freeze_page(qtbot, config)
    box = view.lora_box()
    assert box.targets.text() == "" and box.targets.placeholderText() == "the architecture's own"
    assert box.resolved.text() == "q_lin, v_lin (distilbert's Linear modules named like query and value)"
    layer = "distilbert.transformer.layer.0.attention"
    assert view.model().adapted_paths()[:2] == [f"{layer}.q_lin", f"{layer}.v_lin"]
    assert lora_cell(view, f"{layer}.q_lin") == f"+{8 * (32 + 32):,}" and lora_cell(view, f"{layer}.k_lin") == ""
    assert "LoRA rank 8 adapters on 4 Linear modules" in view.summary()
    out = RunConfig()
    view.update_config(out)
    assert out.lora.target_modules == []  # saved as the default, so it follows the backbone


def test_show_config_restores_the_lora_settings_quietly(qtbot, view, config):
    config.lora = LoraConfig(True, 16, 32, 0.0, ["key"])
    with qtbot.assertNotEmitted(view.changed):
        view.show_config(config)
    box = view.lora_box()
    assert (box.isChecked(), box.rank.value(), box.alpha.value(), box.dropout.value(), box.targets.text()) == \
        (True, 16, 32, 0.0, "key")
    assert view.model().adapted_paths() == ["bert.encoder.layer.0.attention.self.key",
                                            "bert.encoder.layer.1.attention.self.key"]
    out = RunConfig()
    view.update_config(out)
    assert out.lora == config.lora


def test_the_export_dialog_offers_the_adapter_of_a_lora_run_only(qtbot, trained_run, tmp_path, tiny_backbone_dir):
    from tests.tiny_models import tiny_run_config
    from workbench.core.training.run import train
    from workbench.ui.views.export_dialog import ExportDialog

    plain = ExportDialog(trained_run("single_label"))
    qtbot.addWidget(plain)
    assert not plain.adapter.isEnabled()

    run_config = tiny_run_config(tmp_path, tiny_backbone_dir, max_steps=6)
    run_config.lora.enabled = True
    dialog = ExportDialog(Path(train(run_config).run_dir))
    qtbot.addWidget(dialog)
    assert dialog.adapter.isEnabled()
    qtbot.mouseClick(dialog.adapter, Qt.MouseButton.LeftButton, pos=QPoint(2, dialog.adapter.height() // 2))
    dest = tmp_path / "exported"
    dialog.destination.setText(str(dest))
    with qtbot.waitSignal(dialog.exported, timeout=WAIT_MS):
        assert dialog.start_export()
    assert (dest / "model.safetensors").is_file() and (dest / "adapter" / "adapter_model.safetensors").is_file()
    assert "adapter/adapter_config.json" in dialog.report.text()
