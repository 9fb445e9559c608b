"""A read-only table over a `datasets.Dataset` or a pandas DataFrame that never copies the data.

Rows are read on demand in blocks of `BLOCK_ROWS` when the view asks for a cell, and only the last
few blocks are kept, so a memory-mapped dataset of millions of rows opens at once and scrolls to
any row. Class-label ids show as their names; lists (tokens, tags) show space-separated.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

if TYPE_CHECKING:
    import datasets
    import pandas

    Frame = datasets.Dataset | pandas.DataFrame

BLOCK_ROWS = 256
CACHED_BLOCKS = 8
DISPLAY_CHARS = 200
TOOLTIP_CHARS = 2000

Index = QModelIndex | QPersistentModelIndex


class FrameTableModel(QAbstractTableModel):
    def __init__(self, frame: Frame | None = None, parent: Any = None):
        super().__init__(parent)
        self._frame: Frame | None = None
        self._columns: list[str] = []
        self._class_names: dict[int, list[str]] = {}  # column position -> names of its class ids
        self._rows = 0
        self._blocks: OrderedDict[int, list[list[Any]]] = OrderedDict()  # block -> columns of values
        self.set_frame(frame)

    def set_frame(self, frame: Frame | None) -> None:
        self.beginResetModel()
        self._frame = frame
        self._blocks.clear()
        if frame is None:
            self._columns, self._class_names, self._rows = [], {}, 0
        elif hasattr(frame, "iloc"):  # pandas
            self._columns, self._class_names, self._rows = [str(c) for c in frame.columns], {}, len(frame)
        else:
            self._columns, self._rows = list(frame.column_names), len(frame)
            self._class_names = _class_names(frame.features, self._columns)
        self.endResetModel()

    def frame(self) -> Frame | None:
        return self._frame

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole
        ):
            return None
        value = self._value(index.row(), index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole:
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            horizontal = Qt.AlignmentFlag.AlignRight if numeric else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        text = _format(value, self._class_names.get(index.column()))
        if role == Qt.ItemDataRole.ToolTipRole:
            return _shorten(text, TOOLTIP_CHARS)
        return _shorten(text.replace("\r\n", " ⏎ ").replace("\n", " ⏎ "), DISPLAY_CHARS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section] if 0 <= section < len(self._columns) else None
        return str(section + 1) if 0 <= section < self._rows else None  # 1-based, as in the engine's messages

    def _value(self, row: int, column: int) -> Any:
        block = row // BLOCK_ROWS
        columns = self._blocks.get(block)
        if columns is None:
            columns = self._read_block(block)
            self._blocks[block] = columns
            if len(self._blocks) > CACHED_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(block)
        return columns[column][row - block * BLOCK_ROWS]

    def _read_block(self, block: int) -> list[list[Any]]:
        start = block * BLOCK_ROWS
        stop = min(start + BLOCK_ROWS, self._rows)
        if hasattr(self._frame, "iloc"):
            rows = self._frame.iloc[start:stop]
            return [rows.iloc[:, j].tolist() for j in range(len(self._columns))]
        batch = self._frame[start:stop]
        return [batch[name] for name in self._columns]


def _class_names(features: Any, columns: list[str]) -> dict[int, list[str]]:
    """Names of ClassLabel columns (and of lists of ClassLabels, as NER tags often are)."""
    out: dict[int, list[str]] = {}
    for position, name in enumerate(columns):
        feature = features.get(name)
        feature = getattr(feature, "feature", feature)
        names = getattr(feature, "names", None)
        if names:
            out[position] = list(names)
    return out


def _format(value: Any, class_names: list[str] | None) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_format(item, class_names) for item in value) + "]"
    if value is None:
        return ""
    if class_names is not None and isinstance(value, int) and 0 <= value < len(class_names):
        return class_names[value]
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
