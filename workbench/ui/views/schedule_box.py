"""The Freeze page's training schedule: layer-wise learning-rate decay and gradual unfreezing."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QGroupBox, QSpinBox, QWidget

from workbench.core.config import FreezeConfig, TrainingConfig
from workbench.ui.views.layouts import compact_form, left_aligned_row

EACH_EPOCH, EVERY_STEPS = "each epoch", "every N steps"


class ScheduleBox(QGroupBox):
    """Edits training.layer_lr_decay, training.head_lr_multiplier and freeze.unfreeze_*."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Learning rates and unfreezing", parent)
        self.decay = QDoubleSpinBox(minimum=0.5, maximum=1.0, singleStep=0.05, decimals=2, value=1.0, toolTip=(
            "Layer-wise learning-rate decay: each encoder layer trains at this times the rate of the layer above "
            "(the embeddings one step below the lowest layer). 1.00 is off."))
        self.head_multiplier = QDoubleSpinBox(minimum=0.1, maximum=100.0, singleStep=0.5, decimals=2, value=1.0,
                                              toolTip="The task head's learning rate, as a multiple of the top layer's.")
        self.gradual = QCheckBox("Gradual unfreezing", toolTip=(
            "Start with the head (and the top layers) trainable and let one more layer join at a time, "
            "top-down, then the embeddings. Layers the mask freezes never join."))
        self.start_layers = QSpinBox(minimum=0, maximum=1000, toolTip="Encoder layers that train from the start "
                                     "with the head (0: the head alone).")
        self.start_layers.setPrefix("start with the top ")
        self.start_layers.setSuffix(" layer(s)")
        self.every = QComboBox(toolTip="When the next layer joins.")
        self.every.addItems([EACH_EPOCH, EVERY_STEPS])
        self.every_steps = QSpinBox(minimum=1, maximum=10_000_000, value=100, suffix=" steps")

        form = compact_form(self)  # the spin boxes at their own width, not across the page
        form.addRow("Layer LR decay:", self.decay)
        form.addRow("Head LR ×:", self.head_multiplier)
        form.addRow(left_aligned_row(self.gradual, self.start_layers, self.every, self.every_steps))

        for edited in (self.decay.valueChanged, self.head_multiplier.valueChanged, self.start_layers.valueChanged,
                       self.every_steps.valueChanged, self.gradual.toggled, self.every.currentIndexChanged):
            edited.connect(self._on_control_edited)
        self._update_enabled()

    def set_layer_count(self, layers: int) -> None:
        """The encoder layers of the shown backbone: the most that can train from the start."""
        self.blockSignals(True)  # a start beyond the new count is clamped, not edited
        try:
            self.start_layers.setMaximum(layers)
        finally:
            self.blockSignals(False)

    def show_settings(self, training: TrainingConfig, freeze: FreezeConfig) -> None:
        self.blockSignals(True)  # not a user edit: no `changed`
        try:
            self.decay.setValue(training.layer_lr_decay)
            self.head_multiplier.setValue(training.head_lr_multiplier)
            self.gradual.setChecked(freeze.unfreeze_start_layers is not None)
            self.start_layers.setValue(freeze.unfreeze_start_layers or 0)
            self.every.setCurrentText(EACH_EPOCH if freeze.unfreeze_every_steps is None else EVERY_STEPS)
            self.every_steps.setValue(freeze.unfreeze_every_steps or self.every_steps.value())
        finally:
            self.blockSignals(False)
        self._update_enabled()

    def update_settings(self, training: TrainingConfig, freeze: FreezeConfig) -> None:
        """Write the shown settings into `training` and `freeze`."""
        training.layer_lr_decay = round(self.decay.value(), 2)
        training.head_lr_multiplier = round(self.head_multiplier.value(), 2)
        on = self.gradual.isChecked()
        freeze.unfreeze_start_layers = self.start_layers.value() if on else None
        freeze.unfreeze_every_steps = self.every_steps.value() if on and self.every.currentText() == EVERY_STEPS else None

    def _on_control_edited(self) -> None:
        self._update_enabled()
        self.changed.emit()

    def _update_enabled(self) -> None:
        on = self.gradual.isChecked()
        self.start_layers.setEnabled(on)
        self.every.setEnabled(on)
        self.every_steps.setEnabled(on and self.every.currentText() == EVERY_STEPS)
