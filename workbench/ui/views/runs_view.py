"""The Runs page: the runs under the config's runs root, their curves, and Resume."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSortFilterProxyModel, Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter, QTableView, QVBoxLayout, QWidget,
)

from workbench.core.config import RunConfig
from workbench.core.evaluation.results import available_splits
from workbench.core.runs import RunSummary, list_runs, read_events
from workbench.ui.background import BackgroundCall
from workbench.ui.qmodels.runs_model import SORT_ROLE, RunsTableModel
from workbench.ui.views.curves import CurvesWidget

RESUMABLE_STATES = ("stopped", "interrupted", "finished")


class RunsView(QWidget):
    changed = Signal()  # part of every page's contract; this page edits nothing in a config
    resume_requested = Signal(object)  # RunSummary
    run_selected = Signal(object)  # RunSummary, when exactly one run is selected
    results_requested = Signal()
    refreshed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._root: Path | None = None
        self._stale = False
        self._run_active = False
        self.model = RunsTableModel(parent=self)
        self._listing = BackgroundCall(self)  # listing reads every run folder (and imports transformers once)
        self._listing.returned.connect(self._on_listing_returned)
        self._listing.failed.connect(self._on_listing_failed)
        self._proxy = QSortFilterProxyModel(self)
        self._proxy.setSourceModel(self.model)
        self._proxy.setSortRole(SORT_ROLE)

        self.table = QTableView(selectionBehavior=QAbstractItemView.SelectionBehavior.SelectRows,
                                selectionMode=QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setModel(self._proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)

        self.refresh_button = QPushButton("Refresh", toolTip="List the runs under the runs folder again.")
        self.resume_button = QPushButton("Resume", enabled=False,
                                         toolTip="Continue the selected run from its last checkpoint.")
        self.results_button = QPushButton("Results", enabled=False,
                                          toolTip="Where the selected run's model is right and wrong (double-click a run).")
        self.refresh_button.clicked.connect(self.refresh)
        self.results_button.clicked.connect(self.results_requested)
        self.table.doubleClicked.connect(lambda index: self.results_button.isEnabled() and self.results_requested.emit())
        self.resume_button.clicked.connect(self._on_resume_button_clicked)
        self.hint = QLabel("Select a run to see its curves; select two or more to compare them.")
        bar = QHBoxLayout()
        bar.addWidget(self.hint, 1)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.results_button)
        bar.addWidget(self.resume_button)

        self.curves = CurvesWidget(placeholder="Select a run to see its curves; select two or more to overlay them.")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.curves)
        split.setSizes([250, 450])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)

    def show_config(self, config: RunConfig) -> None:
        """List the runs under the config's runs root (when the page is next shown, if hidden now)."""
        root = Path(config.output.runs_root).expanduser()
        if root != self._root:
            self._root = root
            self._stale = True
            if self.isVisible():
                self.refresh()

    def update_config(self, config: RunConfig) -> None:
        """Nothing to write: this page only reads run folders."""

    def set_run_active(self, active: bool) -> None:
        """While a run trains, Resume is off (one run at a time)."""
        self._run_active = active
        self._update_buttons()

    @Slot()
    def refresh(self) -> None:
        """List the runs again, off the UI thread; `refreshed` follows."""
        if self._root is None:
            return
        self._stale = False
        self.hint.setText(f"Listing the runs in {self._root}…")
        self._listing.start(list_runs, self._root)

    @Slot(object)
    def _on_listing_returned(self, runs: list[RunSummary]) -> None:
        selected = {run.path for run in self.selected_runs()}
        self.model.set_runs(runs)
        self.hint.setText(f"{self.model.rowCount()} runs in {self._root}. Select one to see its curves; "
                          "select two or more to compare them.")
        rows = [row for row in range(self._proxy.rowCount()) if self._run_at(row).path in selected]
        self.select_rows(*rows)
        if not rows:
            self.curves.clear()
        self._update_buttons()
        self.refreshed.emit()

    @Slot(str)
    def _on_listing_failed(self, message: str) -> None:
        self.hint.setText(message)
        self.refreshed.emit()

    def selected_runs(self) -> list[RunSummary]:
        """The selected runs, in the table's order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self._run_at(row) for row in rows]

    def select_rows(self, *rows: int) -> None:
        """Select these rows (in the table's order) in one go, so the curves load once."""
        selection = QItemSelection()
        for row in rows:
            selection.select(self._proxy.index(row, 0), self._proxy.index(row, 0))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(selection, flags)

    def _run_at(self, proxy_row: int) -> RunSummary:
        return self.model.run_at(self._proxy.mapToSource(self._proxy.index(proxy_row, 0)).row())

    def _update_buttons(self) -> None:
        runs = self.selected_runs()
        self.results_button.setEnabled(len(runs) == 1 and bool(available_splits(runs[0].path)))
        self.resume_button.setEnabled(
            not self._run_active and len(runs) == 1 and runs[0].resumable and runs[0].status in RESUMABLE_STATES
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    @Slot(QItemSelection, QItemSelection)
    def _on_table_selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        runs = self.selected_runs()
        self._update_buttons()
        if not runs:
            self.curves.clear()
            return
        first, others = runs[0], runs[1:]
        if not others:
            self.run_selected.emit(first)
        self.curves.set_metric(first.metric_name)
        self.curves.load_events(read_events(first.path), first.path.name)
        for run in others:
            self.curves.overlay(read_events(run.path), run.path.name)

    @Slot()
    def _on_resume_button_clicked(self) -> None:
        (run,) = self.selected_runs()
        self.resume_requested.emit(run)
