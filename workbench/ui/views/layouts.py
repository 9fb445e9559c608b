"""Layout pieces the pages share."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QWidget


def left_aligned_row(*widgets: QWidget) -> QHBoxLayout:
    """The widgets side by side at their own widths from the left; the width left over stays empty."""
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    return row
