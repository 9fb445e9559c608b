"""The Train page's field widgets: the learning-rate box that reads "auto" when left empty, spin
boxes with a special value at their minimum, and the note beside an auto field saying what the run chose."""

from __future__ import annotations

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QSpinBox, QWidget


class LearningRateBox(QDoubleSpinBox):
    """A learning rate typed in scientific notation (5e-5), or "auto" (0: sized to the backbone);
    the arrows halve or double it."""

    AUTO = "auto"
    FIRST = 1e-4  # where the arrows start from auto

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDecimals(12)
        self.setRange(0.0, 1.0)
        self.setSpecialValueText(self.AUTO)

    def textFromValue(self, value: float) -> str:
        return f"{value:.3g}"

    def valueFromText(self, text: str) -> float:
        return 0.0 if text.strip() == self.AUTO else float(text)

    def validate(self, text: str, pos: int) -> object:
        if text.strip() == self.AUTO:
            return QValidator.State.Acceptable
        try:
            ok = 0 < float(text) <= self.maximum()
        except ValueError:
            ok = False
        return QValidator.State.Acceptable if ok else QValidator.State.Intermediate

    def stepBy(self, steps: int) -> None:
        self.setValue(self.value() * 2.0**steps if self.value() else self.FIRST)


def spin_box(low: int, high: int, tip: str, special: str = "") -> QSpinBox:
    box = QSpinBox(minimum=low, maximum=high, toolTip=tip)
    box.setSpecialValueText(special)  # shown at the minimum
    return box


def double_box(low: float, high: float, step: float, decimals: int, tip: str) -> QDoubleSpinBox:
    return QDoubleSpinBox(minimum=low, maximum=high, singleStep=step, decimals=decimals, toolTip=tip)


def chosen_label() -> QLabel:
    """Beside an "auto" field: what the run chose for it, once it starts."""
    label = QLabel()
    label.setEnabled(False)  # the dimmed text colour: a note, not a field
    return label
