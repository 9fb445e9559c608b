"""Tables of the Results page: the confusion matrix, per-class reports, the misclassified rows and the
answered questions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from workbench.core.evaluation.results import AnsweredQuestion, ClassReport, Misclassified

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole
HEAT = QColor("#2563eb")  # the matrix's fullest cell; emptier cells fade towards white
TEXT_CHARS = 300
NO_ANSWER = "(no answer)"


def shown_answers(texts: Sequence[str]) -> str:
    """Answers as a table cell shows them: the distinct ones joined by " | ", NO_ANSWER for none."""
    return " | ".join(text for text in dict.fromkeys(texts) if text) or NO_ANSWER


class ConfusionModel(QAbstractTableModel):
    """Rows are true classes, columns predicted ones; a cell's shade is its share of its row."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._names: list[str] = []
        self._counts = np.zeros((0, 0), dtype=int)
        self._shares = np.zeros((0, 0))
        self._normalized = False

    def set_matrix(self, counts: np.ndarray, shares: np.ndarray, names: list[str]) -> None:
        """`shares`: each count as a share of its row."""
        self.beginResetModel()
        self._counts, self._shares, self._names = counts, shares, list(names)
        self.endResetModel()

    def set_normalized(self, normalized: bool) -> None:
        """Show row shares instead of counts."""
        self._normalized = normalized
        if self._names:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._names) - 1, len(self._names) - 1))

    def count(self, true: int, pred: int) -> int:
        return int(self._counts[true, pred])

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._names)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._names)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or not 0 <= section < len(self._names):
            return None
        return self._names[section]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        share = float(self._shares[row, column])
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{share:.1%}" if self._normalized else f"{self._counts[row, column]:,}"
        if role == Qt.ItemDataRole.BackgroundRole:
            return _shade(share)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor("white") if share > 0.55 else QColor("black")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{self._counts[row, column]:,} rows of true {self._names[row]} predicted {self._names[column]} "
                    f"({share:.1%} of the row). Click to list them.")
        return None


def _shade(share: float) -> QColor:
    white = QColor("white")
    return QColor(*(round(w + (h - w) * share) for w, h in
                    zip((white.red(), white.green(), white.blue()), (HEAT.red(), HEAT.green(), HEAT.blue()))))


class ReportModel(QAbstractTableModel):
    """Precision, recall, F1 and support per class, label or entity type."""

    COLUMNS = ("Class", "Precision", "Recall", "F1", "Support")

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: list[ClassReport] = []
        self._first = "Class"

    def set_reports(self, reports: list[ClassReport], first_column: str = "Class") -> None:
        self.beginResetModel()
        self._rows = list(reports)
        self._first = first_column
        self.endResetModel()

    def report_at(self, row: int) -> ClassReport:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.COLUMNS):
            return self._first if section == 0 else self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        report = self._rows[index.row()]
        value = (report.name, report.precision, report.recall, report.f1, report.support)[index.column()]
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.DisplayRole:
            return value if index.column() == 0 else f"{value:,}" if index.column() == 4 else f"{value:.3f}"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None


class SplitRowsModel(QAbstractTableModel):
    """Rows of a split, one a line, headed by their position in the split; subclasses name the
    `columns` and a row's `values` (floats are shown to 3 decimals, right-aligned; texts cut short)."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: list = []

    def columns(self) -> tuple[str, ...]:
        raise NotImplementedError

    def values(self, row) -> list:
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns())

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns()[section] if 0 <= section < self.columnCount() else None
        return self._rows[section].index + 1 if 0 <= section < len(self._rows) else None  # the row in its split

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.values(self._rows[index.row()])[index.column()]
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{value:.3f}" if isinstance(value, float) else str(value)[:TEXT_CHARS]
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, str):
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, float):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None


class RowsModel(SplitRowsModel):
    """Rows of a split with their true and predicted class and the prediction's confidence."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._names: list[str] = []
        self._pairs = False

    def set_rows(self, rows: list[Misclassified], names: list[str], pairs: bool) -> None:
        self.beginResetModel()
        self._rows, self._names, self._pairs = rows, names, pairs
        self.endResetModel()

    def columns(self) -> tuple[str, ...]:
        return ("Text", "Second text", "True", "Predicted", "Confidence") if self._pairs else (
            "Text", "True", "Predicted", "Confidence")

    def values(self, row: Misclassified) -> list:
        return [row.text] + ([row.text_pair] if self._pairs else []) + [
            self._names[row.true], self._names[row.pred], row.confidence]


class QuestionsModel(SplitRowsModel):
    """Questions of a QA split with their true answers (several: joined by " | "), the predicted one,
    its F1 against the best-matching true answer and its score."""

    def set_questions(self, questions: list[AnsweredQuestion]) -> None:
        self.beginResetModel()
        self._rows = list(questions)
        self.endResetModel()

    def question_at(self, row: int) -> AnsweredQuestion:
        return self._rows[row]

    def columns(self) -> tuple[str, ...]:
        return ("Question", "True answer", "Predicted", "F1", "Score")

    def values(self, row: AnsweredQuestion) -> list:
        return [row.question, shown_answers(row.answers), shown_answers([row.pred]), row.f1, row.score]
