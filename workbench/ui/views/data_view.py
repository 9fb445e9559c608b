"""The Data page: open a file, folder or Hub dataset, preview it, map its columns to the task, and
check it before training: rows per split and label, token lengths and warnings.

The three column pickers are the text, second text and label columns of `DataConfig`; for question
answering they are the question, context and answers columns, and the windows' overlap (stride) is
set beside max_length."""

from __future__ import annotations

import copy
import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QSpinBox, QSplitter, QTableView, QVBoxLayout, QWidget,
)

from workbench.core.config import BUNDLED_BACKBONE, WINDOWED_TASKS, DataConfig, RunConfig
from workbench.core.filetypes import file_dialog_filter
from workbench.ui.background import BackgroundCall, StatusLine
from workbench.ui.qmodels.table_model import FrameTableModel
from workbench.ui.settings import last_folder, remember_folder
from workbench.ui.views.data_sources import Opened, check_data, open_source, pick_column, usual_names
from workbench.ui.views.model_view import TASK_LABELS
from workbench.ui.views.preflight_plots import PreflightPlots

if TYPE_CHECKING:
    from workbench.core.data.preflight import PreflightReport

PAIRED_TASKS = ("pair", "qa")  # tasks that read a second text column (qa: the context)
PICKER_LABELS = ("Text (or tokens):", "Second text:", "Label (or tags):")
QA_PICKER_LABELS = ("Question:", "Context:", "Answers:")
AUTO_STRIDE, MAX_STRIDE = 0, 4096  # the stride spin box value that means "half a window", and its top
CHECK_DELAY_MS = 300  # edits within this time start one check
AUTO_LENGTH = 7  # the spin box value that means "the suggested max_length" (valid ones start at 8)


def _suggestion_box(text: QLabel, button: QPushButton) -> QWidget:
    """A pre-flight suggestion with the button that takes it, shown together."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(text)
    layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
    return box


class DataView(QWidget):
    changed = Signal()
    task_guessed = Signal(str)  # guessed on opening, or picked here by the user
    loaded = Signal(str)  # the source, opened and previewed
    checked = Signal()  # the pre-flight check of the current mapping is shown
    failed = Signal(str)  # opening or checking failed; the sentence is also shown on the page
    class_weights_applied = Signal()  # the user took the suggestion to weigh the loss (the Model page's Loss)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self._wanted: DataConfig | None = None  # the config's columns to pick once its source is open
        self._load_by_user = False
        self._opened: Opened | None = None
        self._backbone = BUNDLED_BACKBONE
        self._report: PreflightReport | None = None
        self._load_call = BackgroundCall(self)
        self._check_call = BackgroundCall(self)
        self._check_timer = QTimer(self, singleShot=True, interval=CHECK_DELAY_MS)

        self._source = QLineEdit()
        self._source.setPlaceholderText("A data file or folder (or drop one here), or a Hub dataset id such as imdb")
        load, open_file, open_folder = QPushButton("Load"), QPushButton("Open file…"), QPushButton("Open folder…")
        source = QHBoxLayout()
        source.addWidget(QLabel("Data:"))
        source.addWidget(self._source, 1)
        source.addWidget(load)
        source.addWidget(open_file)
        source.addWidget(open_folder)
        self._status = StatusLine()
        self._status.watch(self._load_call)
        self._status.watch(self._check_call)

        self._split = QComboBox()
        self._rows = QLabel()
        self._table = QTableView()
        self._table.setModel(FrameTableModel(parent=self))
        self._table.setAlternatingRowColors(True)
        self._table.verticalHeader().setDefaultSectionSize(self._table.fontMetrics().height() + 6)
        self._table.horizontalHeader().setMaximumSectionSize(420)
        self._table.horizontalHeader().setStretchLastSection(True)
        self._table.horizontalHeader().setResizeContentsPrecision(100)
        preview_bar = QHBoxLayout()
        preview_bar.addWidget(QLabel("Split:"))
        preview_bar.addWidget(self._split)
        preview_bar.addWidget(self._rows, 1)
        preview = QGroupBox("Preview")
        preview_layout = QVBoxLayout(preview)
        preview_layout.addLayout(preview_bar)
        preview_layout.addWidget(self._table)

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

        self._plots = PreflightPlots()
        self._max_length = QSpinBox()
        self._max_length.setRange(AUTO_LENGTH, 8192)
        self._max_length.setSpecialValueText("Auto (p95)")
        self._max_length.setToolTip("Longer inputs are cut to this many tokens; Auto: the 95th percentile of training lengths.")
        self._stride = QSpinBox()
        self._stride.setRange(AUTO_STRIDE, MAX_STRIDE)
        self._stride.setSpecialValueText("Auto, half a window")
        self._stride.setToolTip("Long inputs read in windows of max_length tokens share this many tokens with "
                                "their neighbour window (task.stride).")
        self._windows = QCheckBox("Read long texts in windows")
        self._windows.setToolTip("Texts longer than max_length are read in overlapping windows, each trained on with "
                                 "the text's label; a text's prediction pools its windows' (task.windows). Question "
                                 "answering always reads contexts this way.")
        self._truncated = QLabel()
        self._warnings = QLabel()
        self._warnings.setWordWrap(True)
        self._warnings.setTextFormat(Qt.TextFormat.RichText)
        self._truncated.setWordWrap(True)
        self._suggestion = QLabel(wordWrap=True)
        self._apply_weights = QPushButton("Apply class weights")
        self._apply_weights.setToolTip("Sets task.class_weights: the Model page's Loss group weighs by the training counts.")
        self._suggestion_box = _suggestion_box(self._suggestion, self._apply_weights)
        self._windows_suggestion = QLabel(wordWrap=True)
        self._apply_windows = QPushButton("Read in windows")
        self._apply_windows.setToolTip("Ticks 'Read long texts in windows' (task.windows).")
        self._windows_box = _suggestion_box(self._windows_suggestion, self._apply_windows)
        length = QHBoxLayout()
        length.addWidget(QLabel("max_length:"))
        length.addWidget(self._max_length, 1)
        stride = QHBoxLayout()
        stride.addWidget(QLabel("stride:"))
        stride.addWidget(self._stride, 1)
        side = QVBoxLayout()
        side.addLayout(length)
        side.addWidget(self._windows)
        side.addLayout(stride)
        side.addWidget(self._truncated)
        side.addWidget(self._warnings)
        side.addWidget(self._suggestion_box)
        side.addWidget(self._windows_box)
        side.addStretch(1)
        side_panel = QWidget()
        side_panel.setLayout(side)
        side_panel.setFixedWidth(320)
        check = QGroupBox("Pre-flight check")
        check_layout = QHBoxLayout(check)
        check_layout.addWidget(self._plots, 1)
        check_layout.addWidget(side_panel)

        top = QSplitter()
        top.addWidget(preview)
        top.addWidget(mapping)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        page = QSplitter(Qt.Orientation.Vertical)
        page.addWidget(top)
        page.addWidget(check)
        page.setSizes([330, 420])
        layout = QVBoxLayout(self)
        layout.addLayout(source)
        layout.addWidget(self._status)
        layout.addWidget(page, 1)

        self._source.returnPressed.connect(self._on_source_entered)
        load.clicked.connect(self._on_source_entered)
        open_file.clicked.connect(self._on_open_file_clicked)
        open_folder.clicked.connect(self._on_open_folder_clicked)
        self._load_call.returned.connect(self._on_load_call_returned)
        self._load_call.failed.connect(self._on_load_call_failed)
        self._check_call.returned.connect(self._on_check_call_returned)
        self._check_call.failed.connect(self._on_check_call_failed)
        self._check_timer.timeout.connect(self._on_check_timer_timeout)
        self._split.currentIndexChanged.connect(self._on_split_changed)
        self._task.activated.connect(self._on_task_activated)
        for combo in (self._text, self._pair, self._label):
            combo.activated.connect(self._on_mapping_activated)
        self._delimiter.editingFinished.connect(self._on_mapping_activated)
        self._validation.valueChanged.connect(self._on_mapping_activated)
        self._max_length.valueChanged.connect(self._on_max_length_changed)
        self._stride.valueChanged.connect(self.changed)
        self._windows.toggled.connect(self._on_windows_toggled)
        self._apply_windows.clicked.connect(lambda: self._windows.setChecked(True))
        self._apply_weights.clicked.connect(self._on_apply_weights_clicked)
        self._show_task_fields()
        self._show_report()

    # --- the page contract ------------------------------------------------------------------

    def show_config(self, config: RunConfig) -> None:
        data = config.data
        self._wanted = copy.deepcopy(data)
        self._backbone = config.backbone.name
        self._task.setCurrentIndex(self._task.findData(config.task.type))
        self._delimiter.setText(data.label_delimiter or "")
        with (QSignalBlocker(self._validation), QSignalBlocker(self._max_length), QSignalBlocker(self._stride),
              QSignalBlocker(self._windows)):
            self._validation.setValue(data.validation_fraction)
            self._windows.setChecked(config.task.windows)
            self._max_length.setValue(config.task.max_length or AUTO_LENGTH)
            self._stride.setMaximum(MAX_STRIDE)  # the shown max_length caps it again once lengths are known
            self._stride.setValue(config.task.stride or AUTO_STRIDE)
        self._show_task_fields()
        self._source.setText(data.source)
        if self._opened is not None and self._opened.source == data.source:
            self._fill_columns()
            self._check_soon()
        elif data.source:
            self._start_load(data.source, user=False)
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
            data.source = self._source.text().strip()
            if self._wanted is not None:
                data.text_column, data.label_column = self._wanted.text_column, self._wanted.label_column
                data.text_pair_column = self._wanted.text_pair_column
        if task not in PAIRED_TASKS:
            data.text_pair_column = None
        data.label_delimiter = (self._delimiter.text() or None) if task == "multi_label" else None
        data.validation_fraction = round(self._validation.value(), 4)
        config.task.type = task  # the Model page writes the same task: the two follow each other
        config.task.max_length = None if self._max_length.value() == AUTO_LENGTH else self._max_length.value()
        config.task.stride = self._stride.value() or None  # kept for other tasks: windowed configs use it too
        config.task.windows = self._windows.isChecked() and task in WINDOWED_TASKS

    def load(self, source: str) -> None:
        """Open a file, folder or Hub id as if the user had chosen it."""
        self._source.setText(source)
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
        return self._table.model()

    def report(self) -> PreflightReport | None:
        return self._report

    def warnings(self) -> list[str]:
        from workbench.core.data.preflight import preflight_warnings

        return preflight_warnings(self._report, self._chosen_max_length(), self._windowed()) if self._report else []

    def suggestion(self) -> str | None:
        """The pre-flight suggestion to weigh the loss by class, shown with its Apply button."""
        from workbench.core.data.preflight import class_weight_suggestion

        return class_weight_suggestion(self._report) if self._report else None

    def windows_suggestion(self) -> str | None:
        """The pre-flight suggestion to read long texts in windows, shown with its button while they are not."""
        from workbench.core.data.preflight import windows_suggestion

        if self._report is None or self._windowed():
            return None
        return windows_suggestion(self._report, self._chosen_max_length())

    def error(self) -> str:
        return self._status.error()

    # --- drag and drop ----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.load(event.mimeData().urls()[0].toLocalFile())
        event.acceptProposedAction()

    # --- slots ------------------------------------------------------------------------------

    def _on_source_entered(self) -> None:
        if self._source.text().strip():
            self.load(self._source.text().strip())

    def _on_open_file_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a data file", last_folder("data"), file_dialog_filter())
        if path:
            remember_folder("data", path)
            self.load(path)

    def _on_open_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of split files or a saved dataset", last_folder("data"))
        if folder:
            remember_folder("data", folder)
            self.load(folder)

    def _on_load_call_returned(self, opened: Opened) -> None:
        self._set_opened(opened)
        if self._load_by_user:
            self._wanted = None
            self._set_task(opened.guessed_task)
        self._fill_columns()
        self._check_soon()
        self.loaded.emit(opened.source)
        if self._load_by_user:
            self.changed.emit()

    def _on_load_call_failed(self, sentence: str) -> None:
        self._set_opened(None)
        self.failed.emit(sentence)

    def _on_check_call_returned(self, report: PreflightReport) -> None:
        self._report = report
        self._show_report()
        self.checked.emit()

    def _on_check_call_failed(self, sentence: str) -> None:
        self._report = None
        self._show_report()
        self.failed.emit(sentence)

    def _on_check_timer_timeout(self) -> None:
        if self._opened is None:
            return
        config = RunConfig()
        self.update_config(config)
        self._status.show_busy("Checking the data: labels, splits and token lengths…")
        self._check_call.start(check_data, config.data, self.task(), self._backbone)

    def _on_split_changed(self) -> None:
        frame = self._opened.raw[self._split.currentText()] if self._opened else None
        self.table_model().set_frame(frame)
        read_as = self._opened.raw.read_as(self._split.currentText()) if self._opened else ""
        self._rows.setText(" · ".join(filter(None, [f"{len(frame):,} rows", read_as])) if frame is not None else "")
        if frame is not None:
            self._table.resizeColumnsToContents()

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

    def _on_apply_weights_clicked(self) -> None:
        self._apply_weights.setEnabled(False)
        self._apply_weights.setText("Class weights applied (Model page, Loss)")
        self.class_weights_applied.emit()
        self.changed.emit()

    def _on_windows_toggled(self) -> None:
        self._show_task_fields()
        self._show_lengths()
        self.changed.emit()

    def _on_max_length_changed(self) -> None:
        self._show_lengths()
        self.changed.emit()

    # --- helpers ----------------------------------------------------------------------------

    def _start_load(self, source: str, user: bool) -> None:
        self._load_by_user = user
        self._check_timer.stop()
        self._check_call.cancel()
        self._status.show_busy(f"Opening {Path(source).name or source}…")
        wanted = (None, None) if user else (self._wanted.text_column, self._wanted.label_column)
        self._load_call.start(open_source, source, *wanted)

    def _set_opened(self, opened: Opened | None) -> None:
        self._opened, self._report = opened, None
        with QSignalBlocker(self._split):
            self._split.clear()
            self._split.addItems(list(opened.raw) if opened else [])
        for combo in (self._text, self._pair, self._label):
            combo.clear()
        self._on_split_changed()
        self._show_report()

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
        qa = self.task() == "qa"
        for label, text in zip(self._picker_labels, QA_PICKER_LABELS if qa else PICKER_LABELS):
            label.setText(text)
        self._pair.setEnabled(self.task() in PAIRED_TASKS)
        self._delimiter.setEnabled(self.task() == "multi_label")
        self._windows.setEnabled(self.task() in WINDOWED_TASKS)
        self._stride.setEnabled(qa or self._windowed())

    def _windowed(self) -> bool:
        """Whether long rows are read in windows: qa always, sentence tasks when ticked."""
        return self.task() == "qa" or (self.task() in WINDOWED_TASKS and self._windows.isChecked())

    def _check_soon(self) -> None:
        if self._opened is not None:
            self._check_timer.start()

    def _chosen_max_length(self) -> int | None:
        return None if self._max_length.value() == AUTO_LENGTH else self._max_length.value()

    def _show_report(self) -> None:
        report = self._report
        self._plots.show_counts(report)
        suggestion = self.suggestion()
        self._suggestion.setText(suggestion or "")
        self._suggestion_box.setVisible(suggestion is not None)
        self._apply_weights.setEnabled(True)
        self._apply_weights.setText("Apply class weights")
        if report is not None and report.lengths is not None:
            self._max_length.setMaximum(report.lengths.model_max)
            self._max_length.setSpecialValueText(f"Auto ({report.lengths.suggested_max_length})")
        self._show_lengths()

    def _show_lengths(self) -> None:
        report, chosen = self._report, self._chosen_max_length()
        lengths = report.lengths if report else None
        limit = chosen or (lengths.suggested_max_length if lengths else None)
        self._plots.show_lengths(lengths, limit)
        if limit:
            self._stride.setMaximum(max(limit // 2, 1))  # windows must move on (the run config's check)
        if lengths is not None:
            share = lengths.truncated_share("train", limit)
            fate = "read in overlapping windows" if self._windowed() else "cut short"
            self._truncated.setText(f"{share:.1%} of training rows are longer and will be {fate}.")
        else:
            self._truncated.setText(report.lengths_problem if report and report.lengths_problem else "")
        windows = self.windows_suggestion()
        self._windows_suggestion.setText(windows or "")
        self._windows_box.setVisible(windows is not None)
        if report is None:
            self._warnings.setText("")
            return
        warnings = self.warnings()
        items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
        self._warnings.setText(
            f"<b style='color:#b9770e'>{len(warnings)} warning(s)</b><ul style='margin:0'>{items}</ul>" if warnings
            else "<b style='color:#1e8449'>No problems found.</b>"
        )
