"""The engine's layer tree as a Qt tree with tri-state check boxes: checked = trainable, unchecked = frozen.

The mask is kept as the engine stores it, the minimal list of frozen module paths. A check box edit
works on the parameter-holding modules under the clicked node and is then folded back into that
minimal list, so what the tree shows is always exactly what `apply_freeze` will do. (A module that
holds parameters of its own and has children can only be frozen as a whole; checking one of its
children makes its own parameters trainable too.) The LoRA column shows the adapter parameters under
each node, with LoRA on (`set_lora`): what `workbench.core.model.lora` puts on the unfrozen target modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from workbench.core.config import LoraConfig
from workbench.core.model.freezing import LayerNode, is_frozen
from workbench.core.model.lora import adapter_targets

NAME, PARAMETERS, TRAINABLE, RATE, JOINS, LORA = range(6)
HEADERS = ("Layer", "Parameters", "Trainable", "LR ×", "Joins", "LoRA")
HEAD_TOOLTIP = "The task head starts from random weights, so it must stay trainable."

Index = QModelIndex | QPersistentModelIndex


class LayerTreeModel(QAbstractItemModel):
    mask_changed = Signal()  # once per change of the frozen paths, from a click or from set_frozen

    def __init__(self, tree: LayerNode, parent: Any = None):
        super().__init__(parent)
        self._tree = tree
        # Nodes by integer id (the index's internalId); the invisible root is not a row.
        self._nodes: list[LayerNode] = []
        self._parent: list[int] = []
        self._row: list[int] = []
        self._children: dict[int, list[int]] = {-1: []}
        self._ids: dict[str, int] = {}
        for row, child in enumerate(tree.children):
            self._add(child, -1, row)
        self._frozen: list[str] = []
        self._trainable: list[int] = [node.params for node in self._nodes]
        self._rates: dict[str, tuple[float, float]] = {}  # path -> (lowest, highest) multiplier under it
        self._base_rate: float | None = None
        self._joins: dict[str, str] = {}  # path -> when gradual unfreezing lets it train
        self._lora: LoraConfig | None = None
        self._adapters: list[int] = [0] * len(self._nodes)  # adapter parameters under each node

    def _add(self, node: LayerNode, parent: int, row: int) -> None:
        node_id = len(self._nodes)
        self._nodes.append(node)
        self._parent.append(parent)
        self._row.append(row)
        self._children[parent].append(node_id)
        self._children[node_id] = []
        self._ids[node.path] = node_id
        for child_row, child in enumerate(node.children):
            self._add(child, node_id, child_row)

    # --- the mask ---------------------------------------------------------------------------

    def tree(self) -> LayerNode:
        return self._tree

    def frozen_paths(self) -> list[str]:
        return list(self._frozen)

    def set_frozen(self, paths: Iterable[str]) -> None:
        """Apply a mask given as module paths (unknown paths and the head are ignored)."""
        self._apply(self.normalized(paths))

    def normalized(self, paths: Iterable[str]) -> list[str]:
        """The minimal frozen paths that freeze the same parameters as `paths`."""
        return self._minimal(self._frozen_holders(list(paths)))

    def set_lora(self, lora: LoraConfig | None) -> None:
        """Show the adapters of `lora` (None: LoRA off) under the current mask."""
        self._lora = lora
        self._count_adapters()

    def adapted_paths(self) -> list[str]:
        """The Linear modules that get adapters (none with LoRA off)."""
        return [node.path for node in self._adapted()]

    def adapter_parameters(self) -> int:
        return sum(self._adapters[i] for i in self._children[-1])

    def _adapted(self) -> list[LayerNode]:
        return [] if self._lora is None else adapter_targets(self._tree, self._frozen, self._lora.target_modules)

    def _count_adapters(self) -> None:
        rank = self._lora.rank if self._lora else 0
        old, self._adapters = self._adapters, [0] * len(self._nodes)
        for node in self._adapted():
            node_id = self._ids[node.path]
            while node_id >= 0:
                self._adapters[node_id] += rank * (node.linear[0] + node.linear[1])
                node_id = self._parent[node_id]
        for node_id, (before, after) in enumerate(zip(old, self._adapters)):
            if before != after:
                cell = self.createIndex(self._row[node_id], LORA, node_id)
                self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.DisplayRole])

    def trainable_parameters(self) -> int:
        return sum(self._trainable[i] for i in self._children[-1]) + self._tree.own_params

    def total_parameters(self) -> int:
        return self._tree.params

    def set_rates(self, ranges: dict[str, tuple[float, float]], base_rate: float | None = None) -> None:
        """The learning-rate multipliers shown (layer_rates.node_ranges), times `base_rate` in the tooltip."""
        self._rates, self._base_rate = dict(ranges), base_rate
        self._column_changed(RATE, [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole])

    def set_joins(self, labels: dict[str, str]) -> None:
        """When each node starts training (unfreezing.node_labels); empty: gradual unfreezing is off."""
        self._joins = dict(labels)
        self._column_changed(JOINS, [Qt.ItemDataRole.DisplayRole])

    def _column_changed(self, column: int, roles: list[Qt.ItemDataRole]) -> None:
        for node in self._nodes:
            index = self.index_for(node.path, column)
            self.dataChanged.emit(index, index, roles)

    def _rate_text(self, path: str) -> str:
        if path not in self._rates:
            return ""
        low, high = self._rates[path]
        return f"×{low:.3g}" if low == high else f"×{low:.3g}–{high:.3g}"

    def _rate_tooltip(self, path: str) -> str:
        if path not in self._rates or self._base_rate is None:
            return "Learning rate as a multiple of the base rate (training.layer_lr_decay, training.head_lr_multiplier)."
        low, high = (self._base_rate * m for m in self._rates[path])
        return f"Learning rate {low:.3g}" + ("" if low == high else f" to {high:.3g}") + f" (base {self._base_rate:.3g})."

    def index_for(self, path: str, column: int = NAME) -> QModelIndex:
        node_id = self._ids.get(path)
        return QModelIndex() if node_id is None else self.createIndex(self._row[node_id], column, node_id)

    def _holders(self, node: LayerNode) -> list[LayerNode]:
        """The modules under `node` (itself included) that own parameters and may be frozen."""
        return [n for n in node.walk() if n.own_params and not n.is_head]

    def _frozen_holders(self, paths: list[str]) -> set[str]:
        return {n.path for n in self._holders(self._tree) if is_frozen(n.path, paths)}

    def _minimal(self, frozen_holders: set[str]) -> list[str]:
        out: list[str] = []

        def visit(node: LayerNode) -> None:
            holders = self._holders(node)
            if node.path and not node.is_head and holders and all(h.path in frozen_holders for h in holders):
                out.append(node.path)
                return
            for child in node.children:
                visit(child)

        visit(self._tree)
        return out

    def _apply(self, frozen: list[str]) -> None:
        if frozen == self._frozen:
            return
        self._frozen = frozen
        old = self._trainable
        self._trainable = [0] * len(self._nodes)
        for node_id in self._children[-1]:
            self._count(node_id, False)
        for node_id, (before, after) in enumerate(zip(old, self._trainable)):
            if before != after:
                name, trainable = self.index_for(self._nodes[node_id].path), self.index_for(self._nodes[node_id].path, TRAINABLE)
                self.dataChanged.emit(name, name, [Qt.ItemDataRole.CheckStateRole])
                self.dataChanged.emit(trainable, trainable, [Qt.ItemDataRole.DisplayRole])
        self._count_adapters()
        self.mask_changed.emit()

    def _count(self, node_id: int, frozen_above: bool) -> int:
        node = self._nodes[node_id]
        frozen = frozen_above or node.path in self._frozen
        count = (0 if frozen else node.own_params) + sum(self._count(c, frozen) for c in self._children[node_id])
        self._trainable[node_id] = count
        return count

    # --- QAbstractItemModel -----------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        children = self._children[parent.internalId() if parent.isValid() else -1]
        if not (0 <= row < len(children) and 0 <= column < len(HEADERS)):
            return QModelIndex()
        return self.createIndex(row, column, children[row])

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        parent_id = self._parent[index.internalId()]
        return QModelIndex() if parent_id < 0 else self.createIndex(self._row[parent_id], 0, parent_id)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != NAME:
            return 0
        return len(self._children[parent.internalId() if parent.isValid() else -1])

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid() or self._nodes[index.internalId()].is_head:
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsUserCheckable if index.column() == NAME else flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node_id, column = index.internalId(), index.column()
        node = self._nodes[node_id]
        if role == Qt.ItemDataRole.DisplayRole:
            adapters = f"+{self._adapters[node_id]:,}" if self._adapters[node_id] else ""
            return (node.name, f"{node.params:,}", f"{self._trainable[node_id]:,}", self._rate_text(node.path),
                    self._joins.get(node.path, ""), adapters)[column]
        if role == Qt.ItemDataRole.CheckStateRole and column == NAME:
            trainable = self._trainable[node_id]
            if trainable == node.params:
                return Qt.CheckState.Checked
            return Qt.CheckState.Unchecked if trainable == 0 else Qt.CheckState.PartiallyChecked
        if role == Qt.ItemDataRole.ToolTipRole and column == RATE:
            return self._rate_tooltip(node.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == LORA and self._adapters[node_id] and node.linear:
                return f"LoRA adapter of rank {self._lora.rank}: {self._adapters[node_id]:,} parameters on {node.path}"
            return HEAD_TOOLTIP if node.is_head else node.path
        if role == Qt.ItemDataRole.TextAlignmentRole and column != NAME:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole or index.column() != NAME:
            return False
        node = self._nodes[index.internalId()]
        if node.is_head:
            return False
        frozen = self._frozen_holders(self._frozen)
        subtree = {n.path for n in self._holders(node)}
        trainable = Qt.CheckState(value) != Qt.CheckState.Unchecked
        self._apply(self._minimal(frozen - subtree if trainable else frozen | subtree))
        return True
