"""The Compare page: variants of the run config trained one after another, their curves overlaid live,
and the result table filled as each one ends (workbench.core.compare.comparison; the same as `workbench compare`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QFileDialog, QFrame, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QListWidget, QListWidgetItem, QMenu, QPushButton, QStackedWidget, QTableView, QVBoxLayout, QWidget,
)

from workbench.core.compare.comparison import COMPARISONS, load_comparison, new_comparison
from workbench.core.config import RunConfig
from workbench.core.errors import WorkbenchError
from workbench.core.events import (
    ComparisonFinished, ComparisonStarted, EvalFinished, ProgressReported, RunFailed, StepLogged, VariantEvent,
    VariantFinished, VariantStarted,
)
from workbench.core.compare.variants import PRESETS, Variant, parse_variant
from workbench.core.runs import read_events
from workbench.ui import theme
from workbench.ui.qmodels.comparison_model import ComparisonTableModel, leading_columns
from workbench.ui.views.comparison_plot import save_comparison_plot
from workbench.ui.views.curves import RunCurves
from workbench.ui.views.run_page import RunPage

CHECKED_PRESETS = ("full", "head_only")
VARIANT_ROLE = Qt.ItemDataRole.UserRole


TABLE_PLACEHOLDER = ("The table fills in as each variant finishes: its trainable parameters, training time and "
                     "scores, side by side.")


class CompareView(RunPage):
    PLACEHOLDER = "Press Compare: each variant's loss and validation curves appear here, one colour each."
    changed = Signal()  # the variants are not part of the run config: never emitted
    compare_requested = Signal()  # the main window answers with start(config) for the assembled config
    comparison_finished = Signal(object)  # ComparisonFinished | RunFailed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._runs_root = Path("runs")
        self._folder: Path | None = None
        self._variant_curves: dict[str, RunCurves] = {}
        self._other_run_active = False
        self._metric = "f1"
        self._shown_columns: set[str] = set()  # columns the user showed from the header's menu
        self._build()
        self._set_running(False)

    def _build(self) -> None:
        self.variants = QListWidget(toolTip="Each checked variant is trained in turn, with the settings of every "
                                    "page changed as it says, on the same data and seed.")
        for name, changes in PRESETS.items():
            self._add_item(Variant(name, dict(changes)), checked=name in CHECKED_PRESETS)
        self.custom = QLineEdit(placeholderText="NAME:section.field=value,…",
                                toolTip="A variant of your own, e.g. lr2:training.learning_rate=2e-4,training.epochs=2")
        self.custom.returnPressed.connect(self._on_add_button_clicked)
        self.add_button = QPushButton("Add", toolTip="Add this variant to the list, checked.")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.custom_error = QLabel(wordWrap=True, visible=False)
        self.name = QLineEdit("comparison", toolTip="The comparison's name; its runs are named NAME-VARIANT.")
        adding = QHBoxLayout()
        adding.addWidget(self.custom, 1)
        adding.addWidget(self.add_button)
        self.variants_box = QGroupBox("Variants")
        box = QVBoxLayout(self.variants_box)
        box.addWidget(self.variants, 1)
        box.addLayout(adding)
        box.addWidget(self.custom_error)
        name_row = QHBoxLayout()
        name_row.addWidget(QLabel("Name"))
        name_row.addWidget(self.name, 1)
        box.addLayout(name_row)

        self.compare_button = QPushButton("Compare", toolTip="Train the checked variants one after another.")
        self.stop_button = QPushButton("Stop", toolTip="End the running variant after the current step (a "
                                       "checkpoint is saved) and start no other; Resume continues later.")
        self.resume_button = QPushButton("Resume…", toolTip="Continue a comparison folder's variants that are "
                                         "not finished.")
        self.compare_button.clicked.connect(self._on_compare_button_clicked)
        self.stop_button.clicked.connect(self._on_stop_button_clicked)
        self.resume_button.clicked.connect(self._on_resume_button_clicked)
        self.progress_label.setWordWrap(True)  # it names the comparison's folder
        self.progress_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table_model = ComparisonTableModel(self)
        self.table = QTableView(selectionBehavior=QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setModel(self.table_model)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionsMovable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._on_header_menu_requested)
        header.setToolTip("Right-click for the other columns.")
        self.all_columns = QCheckBox("Show all columns", toolTip="The variant, its trainable parameters, time and "
                                     "main metric lead; this shows every measured column (samples/s, loss, memory, "
                                     "every metric).")
        self.all_columns.toggled.connect(self._apply_columns)
        table_page = QWidget()
        table_column = QVBoxLayout(table_page)
        table_column.setContentsMargins(0, 0, 0, 0)
        table_column.addWidget(self.table, 1)
        table_column.addWidget(self.all_columns, 0, Qt.AlignmentFlag.AlignRight)
        self.table_placeholder = QLabel(TABLE_PLACEHOLDER, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.table_placeholder.setFrameShape(QFrame.Shape.StyledPanel)
        self.table_placeholder.setEnabled(False)
        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.table_placeholder)
        self.table_stack.addWidget(table_page)
        self._lay_out(self.variants_box, (self.compare_button, self.stop_button, self.resume_button), self.table_stack,
                      fill=True, heights=(480, 200))

    def _set_table(self, header: list[str], rows: list[list]) -> None:
        """The result table, shown once it has a row (the sentence saying what it will hold before)."""
        self.table_model.set_table(header, rows)
        self.table_stack.setCurrentWidget(self.table.parentWidget() if rows else self.table_placeholder)
        self._apply_columns()

    def shown_columns(self) -> list[str]:
        """The table's columns as shown, left to right."""
        header, names = self.table.horizontalHeader(), self.table_model.header()
        order = sorted(range(len(names)), key=header.visualIndex)
        return [names[i] for i in order if not header.isSectionHidden(i)]

    def _apply_columns(self) -> None:
        """The leading columns first, in their order (status too while a variant is not finished); the rest
        hidden unless "Show all columns" is on or the user showed them."""
        header, names = self.table.horizontalHeader(), self.table_model.header()
        leading = [name for name in leading_columns(self._metric) if name in names]
        if not self.table_model.all_finished():
            leading.insert(1, "status")
        for visual, name in enumerate(leading):
            header.moveSection(header.visualIndex(names.index(name)), visual)
        for index, name in enumerate(names):
            shown = self.all_columns.isChecked() or name in leading or name in self._shown_columns
            header.setSectionHidden(index, not shown)

    @Slot(QPoint)
    def _on_header_menu_requested(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction(self.all_columns.text(), lambda: self.all_columns.setChecked(not self.all_columns.isChecked()))
        menu.addSeparator()
        header = self.table.horizontalHeader()
        for index, name in enumerate(self.table_model.header()):
            action = QAction(name, menu, checkable=True, checked=not header.isSectionHidden(index))
            action.toggled.connect(lambda on, n=name: self._show_column(n, on))
            menu.addAction(action)
        menu.popup(header.mapToGlobal(position))

    def _show_column(self, name: str, shown: bool) -> None:
        (self._shown_columns.add if shown else self._shown_columns.discard)(name)
        index = self.table_model.column(name)
        if index >= 0:
            self.table.horizontalHeader().setSectionHidden(index, not shown)

    def _add_item(self, variant: Variant, checked: bool) -> None:
        item = QListWidgetItem(f"{variant.name}  —  {variant.describe()}")
        item.setData(VARIANT_ROLE, variant)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.variants.addItem(item)

    def checked_variants(self) -> list[Variant]:
        items = (self.variants.item(i) for i in range(self.variants.count()))
        return [item.data(VARIANT_ROLE) for item in items if item.checkState() == Qt.CheckState.Checked]

    def set_checked(self, names: list[str]) -> None:
        """Check exactly the variants named."""
        for i in range(self.variants.count()):
            item = self.variants.item(i)
            checked = item.data(VARIANT_ROLE).name in names
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def show_config(self, config: RunConfig) -> None:
        self._runs_root = Path(config.output.runs_root).expanduser()
        self._metric = config.training.metric_for_best
        self.curves.set_metric(config.training.metric_for_best)

    def update_config(self, config: RunConfig) -> None:
        """The variants change copies of the config, never the config itself."""

    def set_other_run_active(self, active: bool) -> None:
        """While the Train page trains, Compare and Resume are off (one run at a time)."""
        self._other_run_active = active
        self._set_running(self.worker.is_running)

    def start(self, config: RunConfig) -> None:
        """Compare the checked variants of `config` (the whole run config, as the main window assembles it)."""
        try:
            folder = new_comparison(config, self.checked_variants(), self.name.text().strip())
        except WorkbenchError as exc:
            self._show_banner(str(exc))
            return
        self._begin(config.training.metric_for_best)
        self.worker.start_comparison(folder)

    def resume(self, folder: str | Path) -> None:
        """Continue a comparison: its finished variants' curves are drawn first, then the rest train."""
        try:
            state = load_comparison(folder)
        except WorkbenchError as exc:
            self._show_banner(str(exc))
            return
        self._begin(state["base"].get("training", {}).get("metric_for_best", "f1"))
        for entry in state["variants"]:
            if entry["status"] == "finished" and entry.get("run_dir"):
                self._curves_for(entry["name"], read_events(Path(entry["run_dir"])))
        self.worker.start_comparison(folder)

    def _begin(self, metric: str) -> None:
        self._metric = metric
        self.banner.hide()
        self.curves.set_metric(metric)
        self.curves.clear()
        self._variant_curves.clear()
        self._set_table([], [])
        self.curves.set_placeholder("Preparing the first variant: its curves appear with its first logged step.")
        self.progress.setValue(0)
        self.progress.show()
        self.progress_label.setText("Preparing the first variant…")

    def _curves_for(self, name: str, events=()) -> RunCurves:
        """The variant's curves, in a colour of its own: the first variant's are the live ones."""
        if not self._variant_curves:
            self.curves.load_events(events, name)
            run = self.curves.live
        else:
            run = self.curves.overlay(events, name)
        self._variant_curves[name] = run
        return run

    def _set_running(self, running: bool) -> None:
        idle = not running and not self._other_run_active
        for widget in (self.variants_box, self.compare_button, self.resume_button):
            widget.setEnabled(idle)
        self.stop_button.setEnabled(running)
        self.stop_button.setText("Stop")

    @Slot()
    def _on_add_button_clicked(self) -> None:
        text = self.custom.text().strip()
        if not text:
            return
        try:
            variant = parse_variant(text)
        except WorkbenchError as exc:
            self.custom_error.setText(str(exc))
            self.custom_error.setStyleSheet(f"color: {theme.state_colour('error', self)};")
            self.custom_error.show()
            return
        self.custom_error.hide()
        self.custom.clear()
        self._add_item(variant, checked=True)

    @Slot()
    def _on_compare_button_clicked(self) -> None:
        self.compare_requested.emit()

    @Slot()
    def _on_stop_button_clicked(self) -> None:
        self.worker.stop()
        self.stop_button.setEnabled(False)
        self.stop_button.setText("Stopping…")
        self.progress_label.setText("Stopping after the current step; saving a checkpoint…")

    @Slot()
    def _on_resume_button_clicked(self) -> None:
        start = self._runs_root / COMPARISONS
        folder = QFileDialog.getExistingDirectory(self, "Resume a comparison", str(start if start.is_dir() else
                                                                                   self._runs_root))
        if folder:
            self.resume(folder)

    @Slot(object)
    def _on_worker_event_received(self, event: object) -> None:
        if isinstance(event, VariantEvent):
            inner = event.event
            if isinstance(inner, ProgressReported):
                self.progress.setMaximum(max(inner.total_steps, 1))
                self.progress.setValue(min(inner.step, inner.total_steps))
            elif isinstance(inner, (StepLogged, EvalFinished)):
                self.curves.add_event(inner, self._variant_curves[event.variant])
        elif isinstance(event, VariantStarted):
            events = []
            if event.resumed:  # its curves so far, from its run folder
                entry = next(v for v in load_comparison(self._folder)["variants"] if v["name"] == event.name)
                events = read_events(Path(entry["run_dir"]))
            self._curves_for(event.name, events)
            self.progress.setValue(0)
            verb = "resuming" if event.resumed else "training"
            self.progress_label.setText(f"Variant {event.index + 1} of {event.total}: {verb} {event.name}…")
        elif isinstance(event, VariantFinished):
            self._set_table(event.header, event.rows)
            if event.status == "failed":
                self._show_banner(f"The variant {event.name} failed: {event.message}")
        elif isinstance(event, ComparisonStarted):
            self._folder = Path(event.folder)

    @Slot(object)
    def _on_worker_finished(self, result: ComparisonFinished | RunFailed) -> None:
        self.curves.flush()
        if isinstance(result, RunFailed):
            self._show_banner(result.message)
            self.progress_label.setText("Failed.")
        else:
            self._set_table(result.header, result.rows)
            try:
                save_comparison_plot(result.folder)
            except OSError as exc:
                self._show_banner(f"The curves could not be saved ({exc}); the tables are in {result.folder}.")
            left = (f" Not finished: {', '.join(result.unfinished)}; Resume… continues them."
                    if result.unfinished else "")
            self.progress_label.setText(f"Table and curves saved in {result.folder}.{left}")
        self.comparison_finished.emit(result)
