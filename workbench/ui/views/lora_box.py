"""The Freeze page's "LoRA adapters" box: on or off, rank, alpha, dropout and the target module names
(empty: the architecture's own), with the names the adapters go on as the engine resolves them."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QSpinBox, QWidget

from workbench.core.config import LoraConfig

TARGETS_HINT = ("Comma-separated names of the backbone's Linear modules, such as query, key, value, dense. "
                "Empty: the architecture's own (peft's defaults for its model type, such as query and value for "
                "BERT, q_lin and v_lin for DistilBERT, Wqkv for ModernBERT).")
AUTO = "the architecture's own"


class LoraBox(QGroupBox):
    changed = Signal()  # a user edit (not `set_config`)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("LoRA adapters", parent)
        self.setCheckable(True)
        self.setToolTip("Train small low-rank adapters (peft) on the checked layers' target modules, and the task "
                        "head in full; every other weight stays as it is. The saved model has the adapters merged in.")
        self.rank = QSpinBox(minimum=1, maximum=1024)
        self.alpha = QSpinBox(minimum=1, maximum=4096)
        self.alpha.setToolTip("The adapters' output is scaled by alpha / rank.")
        self.dropout = QDoubleSpinBox(minimum=0.0, maximum=0.95, singleStep=0.05, decimals=2)
        self.targets = QLineEdit()
        self.targets.setToolTip(TARGETS_HINT)
        self.targets.setPlaceholderText(AUTO)
        self.resolved = QLabel()  # the names the adapters go on, for the shown backbone
        self.resolved.setWordWrap(True)
        self.resolved.setToolTip("The Linear modules that get adapters: the names above, or the architecture's own.")
        form = QFormLayout(self)
        form.addRow("Rank", self.rank)
        form.addRow("Alpha", self.alpha)
        form.addRow("Dropout", self.dropout)
        form.addRow("Target modules", self.targets)
        form.addRow("Adapts", self.resolved)
        self.show_targets(None)
        self.set_config(LoraConfig())
        self.toggled.connect(self._on_edited)
        for spin in (self.rank, self.alpha, self.dropout):
            spin.valueChanged.connect(self._on_edited)
        self.targets.textEdited.connect(self._on_edited)

    def set_config(self, lora: LoraConfig) -> None:
        self.blockSignals(True)  # not a user edit
        try:
            self.setChecked(lora.enabled)
            self.rank.setValue(lora.rank)
            self.alpha.setValue(lora.alpha)
            self.dropout.setValue(lora.dropout)
            self.targets.setText(", ".join(lora.target_modules))
        finally:
            self.blockSignals(False)

    def show_targets(self, names: list[str] | None, why: str = "") -> None:
        """Show the target names the engine resolved for the shown backbone (None: its layers are not read yet),
        and where they come from."""
        if names is None:
            typed = self.config().target_modules
            self.resolved.setText(", ".join(typed) if typed else f"{AUTO}, once the backbone's layers are read")
        elif not names:
            self.resolved.setText(f"nothing: {why}")
        else:
            self.resolved.setText(", ".join(names) + ("" if why == "lora.target_modules" else f" ({why})"))

    def config(self) -> LoraConfig:
        targets = [name.strip() for name in self.targets.text().split(",") if name.strip()]
        return LoraConfig(self.isChecked(), self.rank.value(), self.alpha.value(), self.dropout.value(), targets)

    def _on_edited(self, *_args) -> None:
        if not self.signalsBlocked():
            self.changed.emit()
