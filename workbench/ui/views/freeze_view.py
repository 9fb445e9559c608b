"""The Freeze page: which layers train, as check boxes on the model's layer tree, with presets and
what the mask saves; with LoRA on, the checked layers' target modules get adapters instead."""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QHBoxLayout, QHeaderView, QLabel, QPushButton, QToolButton, QToolTip, QTreeView, QVBoxLayout, QWidget,
)

from workbench.core.config import FreezeConfig, LoraConfig, RunConfig
from workbench.core.errors import WorkbenchError
from workbench.core.model.freeze_estimate import BACKWARD_EXPLANATION, estimate_savings
from workbench.core.model.freezing import LayerNode, check_frozen, encoder_layers, preset_frozen
from workbench.core.model.lora import check_targets, lora_trainable, target_names
from workbench.core.training.layer_rates import layer_rates, node_ranges
from workbench.core.training.unfreezing import node_labels, plan_unfreezing
from workbench.ui.background import BackgroundCall, StatusLine
from workbench.ui.qmodels.layer_tree_model import JOINS, LORA, NAME, PARAMETERS, RATE, TRAINABLE, LayerTreeModel
from workbench.ui.views.lora_box import LoraBox
from workbench.ui.views.schedule_box import ScheduleBox

PRESETS = {
    "full": "Full fine-tune",
    "head_only": "Head only",
    "embeddings": "Freeze embeddings",
    "lower_half": "Freeze lower half",
}
SAMPLE_LABELS = 2  # the head's size only shifts the counts by hidden_size per label
MASK_HINT = "Checked layers train; unchecked layers are frozen. The task head always trains."
LORA_HINT = ("Checked layers get LoRA adapters on their target modules; every base weight stays frozen. "
             "The task head always trains in full.")


def layer_tree(backbone: str, task: str) -> LayerNode:
    """The layer tree of `backbone` with the head of `task`, from a weightless (meta-device) model."""
    import torch
    from transformers import AutoConfig

    from workbench.core.model.backbones import resolve_backbone
    from workbench.core.model.freezing import build_layer_tree
    from workbench.core.model.heads import auto_class
    from workbench.core.model.lora import default_target_names

    config = AutoConfig.from_pretrained(resolve_backbone(backbone), num_labels=SAMPLE_LABELS, trust_remote_code=False)
    with torch.device("meta"):
        model = auto_class(task).from_config(config)
    tree = build_layer_tree(model)
    default_target_names(tree)  # imports peft here, not on the UI thread when LoRA is turned on
    return tree


class FreezeView(QWidget):
    changed = Signal()
    tree_shown = Signal()  # the layer tree of the current backbone is in the view

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._backbone: tuple[str, str] | None = None
        self._pending = FreezeConfig()  # the mask to apply once the tree arrives
        self._base_rate: float | None = None  # training.learning_rate of the shown config (None: auto)
        self._model: LayerTreeModel | None = None
        self._call = BackgroundCall(self)
        self._call.returned.connect(self._on_call_returned)
        self._call.failed.connect(self._on_call_failed)

        self._buttons = QButtonGroup(self)
        self._buttons.setExclusive(False)  # a custom mask checks none
        presets = QHBoxLayout()
        presets.addWidget(QLabel("Presets:"))
        for number, text in enumerate(PRESETS.values()):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setEnabled(False)
            self._buttons.addButton(button, number)
            presets.addWidget(button)
        presets.addStretch(1)
        self._buttons.idClicked.connect(self._on_preset_clicked)

        self._tree = QTreeView()
        self._tree.setUniformRowHeights(True)
        self._tree.setAlternatingRowColors(True)
        self._summary = QLabel("No model yet.")
        font = self._summary.font()
        font.setBold(True)
        self._summary.setFont(font)
        self._savings = QLabel()
        self._savings.setWordWrap(True)
        how = QToolButton()
        how.setText("?")
        how.setAutoRaise(True)
        how.setToolTip(BACKWARD_EXPLANATION)
        how.clicked.connect(self._on_how_clicked)
        savings = QHBoxLayout()
        savings.addWidget(how)
        savings.addWidget(self._savings, 1)
        self._hint = QLabel(MASK_HINT)
        self._hint.setEnabled(False)
        self._lora = LoraBox()
        self._lora.changed.connect(self._on_lora_changed)
        self._status = StatusLine()
        self._status.watch(self._call)
        self.schedule = ScheduleBox()
        self.schedule.changed.connect(self._on_schedule_changed)

        layout = QVBoxLayout(self)
        layout.addLayout(presets)
        layout.addWidget(self._hint)
        layout.addWidget(self._status)
        tree_and_lora = QHBoxLayout()
        tree_and_lora.addWidget(self._tree, 1)
        tree_and_lora.addWidget(self._lora, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(tree_and_lora, 1)
        layout.addWidget(self._summary)
        layout.addLayout(savings)
        layout.addWidget(self.schedule)

    # --- the page contract ------------------------------------------------------------------

    def show_config(self, config: RunConfig) -> None:
        self._pending = copy.deepcopy(config.freeze)
        self._base_rate = config.training.learning_rate
        self.schedule.show_settings(config.training, config.freeze)
        self._lora.set_config(config.lora)
        self._show_lora()
        backbone = (config.backbone.name, config.task.type)
        if backbone != self._backbone:
            self._build(backbone)
        elif self._model is not None and not self._call.busy:
            self._apply_pending()  # else the tree being built takes it

    def update_config(self, config: RunConfig) -> None:
        config.freeze = self._current_freeze()
        self.schedule.update_settings(config.training, config.freeze)
        config.lora = self._lora.config()

    def set_backbone(self, name: str, task: str) -> None:
        if (name, task) != self._backbone:
            self._pending = self._current_freeze()  # carried over to the new tree where its paths exist
            self._build((name, task))

    def model(self) -> LayerTreeModel | None:
        return self._model

    def lora_box(self) -> LoraBox:
        return self._lora

    def summary(self) -> str:
        """The trainable count and the savings estimate, as shown."""
        return f"{self._summary.text()}\n{self._savings.text()}"

    def error(self) -> str:
        return self._status.error()

    # --- slots ------------------------------------------------------------------------------

    def _on_call_returned(self, tree: LayerNode) -> None:
        self._set_model(LayerTreeModel(tree, self))
        self._apply_pending()
        self.tree_shown.emit()

    def _on_call_failed(self, _sentence: str) -> None:
        self._backbone = None  # choosing it again tries again
        self._set_model(None)

    def _on_preset_clicked(self, number: int) -> None:
        if self._model is not None:
            self._model.set_frozen(preset_frozen(self._model.tree(), list(PRESETS)[number]))
            self._show_mask()  # re-check the button even when the mask was already this preset

    def _on_how_clicked(self) -> None:
        how = self.sender()
        QToolTip.showText(how.mapToGlobal(how.rect().bottomLeft()), BACKWARD_EXPLANATION, how)

    def _on_lora_changed(self) -> None:
        self._show_lora()
        self.changed.emit()

    def _on_model_mask_changed(self) -> None:
        self._show_mask()
        self.changed.emit()

    def _on_schedule_changed(self) -> None:
        if self._model is not None:
            self._show_schedule()
        self.changed.emit()

    # --- helpers ----------------------------------------------------------------------------

    def _build(self, backbone: tuple[str, str]) -> None:
        self._backbone = backbone
        self._status.show_busy(f"Reading the layers of {backbone[0]}…")
        self._call.start(layer_tree, *backbone)
        self._lora.show_targets(None)

    def _set_model(self, model: LayerTreeModel | None) -> None:
        old, self._model = self._model, model
        self._tree.setModel(model)
        if old is not None:
            old.deleteLater()
        for button in self._buttons.buttons():
            button.setEnabled(model is not None)
        if model is None:
            self._summary.setText("No model yet.")
            self._savings.clear()
            return
        model.mask_changed.connect(self._on_model_mask_changed)
        self.schedule.set_layer_count(len(encoder_layers(model.tree())))
        header = self._tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column in (PARAMETERS, TRAINABLE, RATE, JOINS, LORA):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._tree.expandToDepth(2)
        self._show_lora()

    def _apply_pending(self) -> None:
        tree = self._model.tree()
        frozen = self._pending.frozen
        if self._pending.preset != "custom":
            frozen = preset_frozen(tree, self._pending.preset)
        try:
            check_frozen(tree, frozen)
        except WorkbenchError as exc:
            self._status.show_error(f"{exc} It was left out.")
            frozen = [p for p in frozen if (node := tree.find(p)) is not None and p and not node.is_head]
        self.blockSignals(True)  # not a user edit: no `changed`
        try:
            self._model.set_frozen(frozen)
        finally:
            self.blockSignals(False)
        self._show_mask()

    def _current_freeze(self) -> FreezeConfig:
        if self._model is None or self._call.busy:  # the shown tree is not (or no longer) the backbone's
            return copy.deepcopy(self._pending)
        preset = self._matching_preset()
        return FreezeConfig(preset, self._model.frozen_paths() if preset == "custom" else [])

    def _matching_preset(self) -> str:
        tree, frozen = self._model.tree(), self._model.frozen_paths()
        return next((p for p in PRESETS if self._model.normalized(preset_frozen(tree, p)) == frozen), "custom")

    def _show_lora(self) -> None:
        """Put the LoRA settings into the tree's LoRA column and the counts; the column shows only with LoRA on."""
        lora = self._lora.config()
        self._hint.setText(LORA_HINT if lora.enabled else MASK_HINT)
        self._tree.setColumnHidden(LORA, not lora.enabled)
        if self._model is None or self._call.busy:  # the shown tree is not (or no longer) the backbone's
            self._lora.show_targets(None)
        else:
            self._lora.show_targets(*target_names(self._model.tree(), lora.target_modules))
        if self._model is not None:
            self._model.set_lora(lora if lora.enabled else None)
            self._show_mask()

    def _show_mask(self) -> None:
        matching = self._matching_preset()
        for number, preset in enumerate(PRESETS):
            self._buttons.button(number).setChecked(preset == matching)
        self._show_schedule()
        tree, frozen, lora = self._model.tree(), self._model.frozen_paths(), self._lora.config()
        if lora.enabled:
            self._show_lora_counts(tree, frozen, lora)
            return
        estimate = estimate_savings(tree, frozen)
        share = estimate.trainable / estimate.parameters if estimate.parameters else 0.0
        self._summary.setText(f"Trainable {estimate.trainable:,} of {estimate.parameters:,} parameters ({share:.1%})")
        self._savings.setText(
            f"Frozen: {estimate.frozen_share:.1%} of the parameters (no gradients or optimizer state for them). "
            f"Backward work saved: about {estimate.backward_saved:.0%}."
        )

    def _show_schedule(self) -> None:
        """The LR × and Joins columns, from the schedule box and the mask."""
        config = RunConfig(freeze=self._current_freeze())
        self.schedule.update_settings(config.training, config.freeze)
        tree, frozen = self._model.tree(), self._model.frozen_paths()
        rates = layer_rates(tree, config.training.layer_lr_decay, config.training.head_lr_multiplier)
        self._model.set_rates(node_ranges(tree, rates), self._base_rate)
        schedule = plan_unfreezing(tree, frozen, config.freeze)
        self._model.set_joins({} if schedule is None else node_labels(tree, frozen, schedule))

    def _show_lora_counts(self, tree: LayerNode, frozen: list[str], lora: LoraConfig) -> None:
        """The counts a LoRA run reports (head plus adapters, of the base model plus adapters), or why it cannot run."""
        try:
            adapted = len(check_targets(tree, frozen, lora))
        except WorkbenchError as exc:
            self._summary.setText("LoRA has no adapters here.")
            self._savings.setText(str(exc))
            return
        trainable, total = lora_trainable(tree, frozen, lora), tree.params + self._model.adapter_parameters()
        self._summary.setText(f"Trainable {trainable:,} of {total:,} parameters ({trainable / total:.1%})")
        self._savings.setText(f"LoRA rank {lora.rank} adapters on {adapted} Linear modules "
                              f"({self._model.adapter_parameters():,} parameters) and the task head in full; "
                              "every other weight is frozen.")
