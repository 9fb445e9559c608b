"""The result table of a comparison: one row per variant that ran, as `workbench compare` prints it.

`leading_columns` names what the Compare page shows first: the variant, what it trains, how long it
took and the main metric on validation and test; the other columns are a click away."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from workbench.core.compare.comparison import format_cell
from workbench.ui.qmodels.runs_model import STATUS_COLOURS, status_colour

Index = QModelIndex | QPersistentModelIndex
LEADING = ("variant", "trainable params", "train time (s)")


def leading_columns(metric: str) -> list[str]:
    """The columns the Compare page shows before "Show all columns": what each variant is, costs and scores."""
    return [*LEADING, f"validation_{metric}", f"test_{metric}"]


class ComparisonTableModel(QAbstractTableModel):
    """Holds the header and raw rows of `workbench.core.compare.comparison.comparison_table`; shows them formatted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._header: list[str] = []
        self._rows: list[list[Any]] = []

    def set_table(self, header: list[str], rows: list[list[Any]]) -> None:
        self.beginResetModel()
        self._header, self._rows = list(header), [list(row) for row in rows]
        self.endResetModel()

    def header(self) -> list[str]:
        return list(self._header)

    def column(self, name: str) -> int:
        """The column's index, or -1."""
        return self._header.index(name) if name in self._header else -1

    def all_finished(self) -> bool:
        status = self.column("status")
        return status < 0 or all(row[status] == "finished" for row in self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._header)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self._header):
            return self._header[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        value, column = self._rows[index.row()][index.column()], self._header[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return format_cell(column, value)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= 2:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and column == "status" and value in STATUS_COLOURS:
            return status_colour(value)
        return None
