"""The Data page: open a file, folder or Hub dataset, preview it, map its columns to the task, and
check it before training: rows per split and label, token lengths and warnings.

The three column pickers are the text, second text and label columns of `DataConfig`; for question
answering they are the question, context and answers columns. The source line, the preview and the
pre-flight check are widgets of their own: `SourceBar`, `DataPreview` and `PreflightPanel`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QSplitter, QVBoxLayout, QWidget,
)

from workbench.core.config import BUNDLED_BACKBONE, DataConfig, RunConfig
from workbench.ui.background import BackgroundCall, StatusLine
from workbench.ui.qmodels.table_model import FrameTableModel
from workbench.ui.views.data_preview import DataPreview
from workbench.ui.views.data_sources import Opened, check_data, open_source, pick_column, usual_names
from workbench.ui.views.model_view import TASK_LABELS
from workbench.ui.views.preflight_panel import PreflightPanel
from workbench.ui.views.source_bar import SourceBar

if TYPE_CHECKING:
    from workbench.core.data.preflight import PreflightReport

PAIRED_TASKS = ("pair", "qa")  # tasks that read a second text column (qa: the context)
PICKER_LABELS = ("Text (or tokens):", "Second text:", "Label (or tags):")
QA_PICKER_LABELS = ("Question:", "Context:", "Answers:")
CHECK_DELAY_MS = 300  # edits within this time start one check


class DataView(QWidget):
    changed = Signal()
    task_guessed = Signal(str)  # guessed on opening, or picked here by the user
    loaded = Signal(str)  # the source, opened and previewed
    opened_by_user = Signal(str)  # ...when the user opened it (chosen, typed, dropped, or another sheet picked), not a config
    checked = Signal()  # the pre-flight check of the current mapping is shown
    failed = Signal(str)  # opening or checking failed; the sentence is also shown on the page
    class_weights_applied = Signal()  # the user took the suggestion to weigh the loss (the Model page's Loss)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self._wanted: DataConfig | None = None  # the config's columns to pick once its source is open
        self._sheet: str | None = None  # the workbook sheet asked for in the latest load (data.sheet)
        self._sheets: tuple[str, ...] = ()  # the sheets of the workbook last opened, offered until another source opens
        self._load_by_user = False
        self._opened: Opened | None = None
        self._backbone = BUNDLED_BACKBONE
        self._load_call = BackgroundCall(self)
        self._check_call = BackgroundCall(self)
        self._check_timer = QTimer(self, singleShot=True, interval=CHECK_DELAY_MS)

        self._source = SourceBar()
        self._status = StatusLine()
        self._status.watch(self._load_call)
        self._status.watch(self._check_call)
        self._preview = DataPreview()

        self._task = QComboBox()
        for task, text in TASK_LABELS.items():
            self._task.addItem(text, task)
        self._text, self._pair, self._label = QComboBox(), QComboBox(), QComboBox()
        self._delimiter = QLineEdit()
        self._delimiter.setPlaceholderText("found automatically (| ; ,)")
        self._validation = QDoubleSpinBox()
        self._validation.setRange(0.01, 0.5)
        self._validation.setSingleStep(0.05)
        self._validation.setValue(DataConfig.validation_fraction)
        self._validation.setToolTip("The share of training rows set aside for validation when the data has no validation split.")
        mapping = QGroupBox("Columns and task")
        form = QFormLayout(mapping)
        form.addRow("Task:", self._task)
        self._picker_labels = [QLabel(text) for text in PICKER_LABELS]
        for label, combo in zip(self._picker_labels, (self._text, self._pair, self._label)):
            form.addRow(label, combo)
        form.addRow("Label delimiter:", self._delimiter)
        form.addRow("Validation share:", self._validation)

        self._preflight = PreflightPanel()
        top = QSplitter()
        top.addWidget(self._preview)
        top.addWidget(mapping)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        page = QSplitter(Qt.Orientation.Vertical)
        page.addWidget(top)
        page.addWidget(self._preflight)
        page.setSizes([330, 420])
        layout = QVBoxLayout(self)
        layout.addWidget(self._source)
        layout.addWidget(self._status)
        layout.addWidget(page, 1)

        self._source.chosen.connect(self.load)
        self._source.sheet_picked.connect(self._on_sheet_picked)
        self._load_call.returned.connect(self._on_load_call_returned)
        self._load_call.failed.connect(self._on_load_call_failed)
        self._check_call.returned.connect(self._on_check_call_returned)
        self._check_call.failed.connect(self._on_check_call_failed)
        self._check_timer.timeout.connect(self._on_check_timer_timeout)
        self._task.activated.connect(self._on_task_activated)
        for combo in (self._text, self._pair, self._label):
            combo.activated.connect(self._on_mapping_activated)
        self._delimiter.editingFinished.connect(self._on_mapping_activated)
        self._validation.valueChanged.connect(self._on_mapping_activated)
        self._preflight.changed.connect(self.changed)
        self._preflight.class_weights_applied.connect(self.class_weights_applied)
        self._show_task_fields()

    # --- the page contract ------------------------------------------------------------------

    def show_config(self, config: RunConfig) -> None:
        data = config.data
        self._wanted = copy.deepcopy(data)
        self._sheet = data.sheet
        self._backbone = config.backbone.name
        self._task.setCurrentIndex(self._task.findData(config.task.type))
        self._delimiter.setText(data.label_delimiter or "")
        with QSignalBlocker(self._validation):
            self._validation.setValue(data.validation_fraction)
        self._preflight.show_settings(config.task)
        self._show_task_fields()
        self._source.set_text(data.source)
        if self._opened is not None and (self._opened.source, self._opened.sheet) == (data.source, data.sheet):
            self._fill_columns()
            self._check_soon()
        elif data.source:
            self._start_load(data.source, user=False, sheet=data.sheet)
        else:
            self._load_call.cancel()
            self._set_opened(None)

    def update_config(self, config: RunConfig) -> None:
        data, task = config.data, self.task()
        if self._opened is not None and not self._load_call.busy:
            data.source = self._opened.source
            data.text_column, data.label_column = self._text.currentData(), self._label.currentData()
            data.text_pair_column = self._pair.currentData()
        else:  # nothing open yet: what the config asked for
            data.source = self._source.text()
            if self._wanted is not None:
                data.text_column, data.label_column = self._wanted.text_column, self._wanted.label_column
                data.text_pair_column = self._wanted.text_pair_column
        data.sheet = self._sheet
        if task not in PAIRED_TASKS:
            data.text_pair_column = None
        data.label_delimiter = (self._delimiter.text() or None) if task == "multi_label" else None
        data.validation_fraction = round(self._validation.value(), 4)
        config.task.type = task  # the Model page writes the same task: the two follow each other
        self._preflight.update_settings(config.task)

    def load(self, source: str) -> None:
        """Open a file, folder or Hub id as if the user had chosen it."""
        self._source.set_text(source)
        self._sheets = ()
        self._start_load(source, user=True)

    def set_backbone(self, name: str, task: str | None = None) -> None:
        """Measure token lengths with this backbone's tokenizer; follow the Model page's task too."""
        changed = name != self._backbone
        self._backbone = name
        if task in TASK_LABELS and task != self.task():
            self._task.setCurrentIndex(self._task.findData(task))
            self._show_task_fields()
            changed = True
        if changed:
            self._check_soon()

    def task(self) -> str:
        return self._task.currentData()

    def table_model(self) -> FrameTableModel:
        return self._preview.table_model()

    def report(self) -> PreflightReport | None:
        return self._preflight.report()

    def warnings(self) -> list[str]:
        return self._preflight.warnings()

    def suggestion(self) -> str | None:
        """The pre-flight suggestion to weigh the loss by class."""
        return self._preflight.suggestion()

    def windows_suggestion(self) -> str | None:
        """The pre-flight suggestion to read long texts in windows, while they are not."""
        return self._preflight.windows_suggestion()

    def error(self) -> str:
        return self._status.error()

    def busy(self) -> bool:
        """Whether the source is being opened or checked (or a check is about to start)."""
        return self._load_call.busy or self._check_call.busy or self._check_timer.isActive()

    def ask_for_file(self) -> None:
        """Ask for a data file to open, in a dialog."""
        self._source.ask_for_file()

    # --- drag and drop ----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.load(event.mimeData().urls()[0].toLocalFile())
        event.acceptProposedAction()

    # --- slots ------------------------------------------------------------------------------

    def _on_load_call_returned(self, opened: Opened) -> None:
        self._set_opened(opened)
        if self._load_by_user:
            self._wanted = None
            self._set_task(opened.guessed_task)
        self._fill_columns()
        self._check_soon()
        self.loaded.emit(opened.source)
        if self._load_by_user:
            self.opened_by_user.emit(opened.source)
            self.changed.emit()

    def _on_load_call_failed(self, sentence: str) -> None:
        self._set_opened(None)
        if self._sheet is not None and self._sheets:  # a sheet that cannot be read: the others stay on offer
            self._source.set_sheets(self._sheets, self._sheet)
        self.failed.emit(sentence)

    def _on_sheet_picked(self, sheet: str | None) -> None:
        if self._opened is not None and sheet == self._opened.sheet:
            return
        self._start_load(self._opened.source if self._opened is not None else self._source.text(), user=True, sheet=sheet)

    def _on_check_call_returned(self, report: PreflightReport) -> None:
        self._preflight.show_report(report)
        self.checked.emit()

    def _on_check_call_failed(self, sentence: str) -> None:
        self._preflight.show_report(None)
        self.failed.emit(sentence)

    def _on_check_timer_timeout(self) -> None:
        if self._opened is None:
            return
        config = RunConfig()
        self.update_config(config)
        self._status.show_busy("Checking the data: labels, splits and token lengths…")
        self._check_call.start(check_data, config.data, self.task(), self._backbone)

    def _on_task_activated(self) -> None:
        self._show_task_fields()
        self.task_guessed.emit(self.task())
        self._check_soon()
        self.changed.emit()

    def _on_mapping_activated(self) -> None:
        if self.sender() is self._delimiter:
            if not self._delimiter.isModified():  # focus left without an edit
                return
            self._delimiter.setModified(False)
        if self.sender() in (self._text, self._label) and self._opened is not None:
            from workbench.core.data import guess_task

            self._set_task(guess_task(self._opened.raw, self._text.currentData(), self._label.currentData()))
        self._check_soon()
        self.changed.emit()

    # --- helpers ----------------------------------------------------------------------------

    def _start_load(self, source: str, user: bool, sheet: str | None = None) -> None:
        self._load_by_user, self._sheet = user, sheet
        self._check_timer.stop()
        self._check_call.cancel()
        self._status.show_busy(f"Opening {Path(source).name or source}…")
        wanted = (None, None) if user else (self._wanted.text_column, self._wanted.label_column)
        self._load_call.start(open_source, source, *wanted, sheet)

    def _set_opened(self, opened: Opened | None) -> None:
        self._opened = opened
        for combo in (self._text, self._pair, self._label):
            combo.clear()
        self._preview.show_data(opened.raw if opened else None)
        self._preflight.show_report(None)
        if opened is None:
            self._source.set_sheets(())
        else:
            self._sheets = opened.sheets
            self._source.set_sheets(opened.sheets, None if opened.split_sheets else opened.read_sheet, opened.split_sheets)

    def _set_task(self, task: str) -> None:
        if task != self.task():
            self._task.setCurrentIndex(self._task.findData(task))
            self._show_task_fields()
            self.task_guessed.emit(task)

    def _fill_columns(self) -> None:
        """Offer the columns; pick the config's (kept even when missing, so the check says so) or the task's usual names."""
        columns, wanted = self._opened.columns, self._wanted or DataConfig("", "", None, "")
        text_names, pair_names, label_names = usual_names(self.task())
        picks = (
            (self._text, wanted.text_column, pick_column(columns, None, text_names) or columns[0]),
            (self._label, wanted.label_column, pick_column(columns, None, label_names) or columns[-1]),
            (self._pair, wanted.text_pair_column, pick_column(columns, None, pair_names)),
        )
        fallbacks = (DataConfig.text_column, DataConfig.label_column) if self.task() == "qa" else ()
        for combo, asked, usual in picks:
            if asked in fallbacks and asked not in columns:
                asked = None  # a qa config's default names mean SQuAD's, as the engine reads them
            combo.clear()
            if combo is self._pair:
                combo.addItem("(none)", None)
            for column in columns:
                combo.addItem(column, column)
            if asked and asked not in columns:
                combo.addItem(f"{asked} (not in the data)", asked)
            combo.setCurrentIndex(combo.findData(asked or usual))

    def _show_task_fields(self) -> None:
        task = self.task()
        for label, text in zip(self._picker_labels, QA_PICKER_LABELS if task == "qa" else PICKER_LABELS):
            label.setText(text)
        self._pair.setEnabled(task in PAIRED_TASKS)
        self._delimiter.setEnabled(task == "multi_label")
        self._preflight.set_task(task)

    def _check_soon(self) -> None:
        if self._opened is not None:
            self._check_timer.start()
