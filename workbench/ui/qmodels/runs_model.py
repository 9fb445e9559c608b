"""A table over the run folders under a runs root: name, status (its warnings marked), task, best metric, created."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from workbench.core.runs import RunSummary
from workbench.ui import theme

COLUMNS = ("Run", "Status", "Task", "Best metric", "Created")
WARNED = "warned"  # a run with warnings: its status in amber, the sentences in its tooltip
STATUS_COLOURS = {"failed": "#b91c1c", "running": "#1d4ed8", "stopped": "#a16207", "interrupted": "#a16207",
                  WARNED: "#a16207"}
SORT_ROLE = Qt.ItemDataRole.UserRole
Index = QModelIndex | QPersistentModelIndex
STATUS_KINDS = {"failed": "error", "running": "busy", "stopped": "warn", "interrupted": "warn", WARNED: "warn"}


def status_colour(status: str) -> QColor:
    """A status's colour: the light palette's own, or its state colour on a dark palette."""
    return QColor(theme.state_colour(STATUS_KINDS[status]) if theme.is_dark() else STATUS_COLOURS[status])



class RunsTableModel(QAbstractTableModel):
    """`SORT_ROLE` gives each cell a value that sorts right (a missing best metric sorts first)."""

    def __init__(self, runs: list[RunSummary] | None = None, parent=None):
        super().__init__(parent)
        self._runs: list[RunSummary] = list(runs or [])

    def set_runs(self, runs: list[RunSummary]) -> None:
        self.beginResetModel()
        self._runs = list(runs)
        self.endResetModel()

    def run_at(self, row: int) -> RunSummary:
        return self._runs[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._runs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._runs)):
            return None
        run, column = self._runs[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(run, column)
        if role == SORT_ROLE:
            if column == 3:
                return float("-inf") if run.best_metric is None else float(run.best_metric)
            return self._text(run, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n\n".join(run.warnings) if column == 1 and run.warnings else str(run.path)
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and (run.warnings or run.status in STATUS_COLOURS):
            return status_colour(WARNED if run.warnings else run.status)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    @staticmethod
    def _text(run: RunSummary, column: int) -> str:
        if column == 0:
            return run.path.name
        if column == 1:
            return ", ".join([run.status] + _marks(run))
        if column == 2:
            return run.task
        if column == 3:
            return "" if run.best_metric is None else f"{run.metric_name} {run.best_metric:.4f}"
        return run.created


def _marks(run: RunSummary) -> list[str]:
    """A word or two per warning, after the status: its sentence is the cell's tooltip."""
    return (["near chance"] if run.warning else []) + (["classes unused"] if run.class_warning else [])
