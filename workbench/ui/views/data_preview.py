"""The Data page's preview: the rows of one split of the opened data, its row count and the
encoding its file was read in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QTableView, QVBoxLayout, QWidget

from workbench.ui.qmodels.table_model import FrameTableModel

if TYPE_CHECKING:
    from workbench.core.data import RawData

MAX_COLUMN_WIDTH = 420


class DataPreview(QGroupBox):
    def __init__(self, parent: QWidget | None = None):
        super().__init__("Preview", parent)
        self._raw: RawData | None = None
        self._split = QComboBox()
        self._rows = QLabel()
        self._table = QTableView()
        self._table.setModel(FrameTableModel(parent=self))
        self._table.setAlternatingRowColors(True)
        self._table.verticalHeader().setDefaultSectionSize(self._table.fontMetrics().height() + 6)
        header = self._table.horizontalHeader()
        header.setMaximumSectionSize(MAX_COLUMN_WIDTH)
        header.setStretchLastSection(True)
        header.setResizeContentsPrecision(100)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Split:"))
        bar.addWidget(self._split)
        bar.addWidget(self._rows, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self._table)
        self._split.currentIndexChanged.connect(self._on_split_changed)

    def show_data(self, raw: RawData | None) -> None:
        """Offer the splits of `raw` and show the first; None empties the preview."""
        self._raw = raw
        with QSignalBlocker(self._split):
            self._split.clear()
            self._split.addItems(list(raw) if raw is not None else [])
        self._on_split_changed()

    def table_model(self) -> FrameTableModel:
        return self._table.model()

    def _on_split_changed(self) -> None:
        split = self._split.currentText()
        frame = self._raw[split] if self._raw is not None else None
        self.table_model().set_frame(frame)
        read_as = self._raw.read_as(split) if self._raw is not None else ""
        self._rows.setText(" · ".join(filter(None, [f"{len(frame):,} rows", read_as])) if frame is not None else "")
        if frame is not None:
            self._table.resizeColumnsToContents()
