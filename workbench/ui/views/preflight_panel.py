"""The Data page's pre-flight check: the charts, and beside them max_length, reading long texts in
windows and the windows' overlap (stride), the share of rows longer than max_length, the warnings,
and the suggestions with the buttons that take them."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from workbench.core.config import WINDOWED_TASKS, TaskConfig
from workbench.ui import theme
from workbench.ui.views.preflight_plots import PreflightPlots

if TYPE_CHECKING:
    from workbench.core.data.preflight import PreflightReport

AUTO_STRIDE, MAX_STRIDE = 0, 4096  # the stride spin box value that means "half a window", and its top
AUTO_LENGTH = 7  # the spin box value that means "the suggested max_length" (valid ones start at 8)
SIDE_WIDTH = 320
WEIGHTS_BUTTON = "Apply class weights"


def _labelled(text: str, widget: QWidget) -> QHBoxLayout:
    """A label with the widget it names, the widget taking the width."""
    row = QHBoxLayout()
    row.addWidget(QLabel(text))
    row.addWidget(widget, 1)
    return row


def _suggestion_box(text: QLabel, button: QPushButton) -> QWidget:
    """A pre-flight suggestion with the button that takes it, shown together."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(text)
    layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
    return box


class PreflightPanel(QGroupBox):
    """Shows a `PreflightReport` and edits task.max_length, task.windows and task.stride."""

    changed = Signal()  # max_length, windows or stride edited
    class_weights_applied = Signal()  # the user took the suggestion to weigh the loss (the Model page's Loss)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Pre-flight check", parent)
        self._task = ""
        self._report: PreflightReport | None = None
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
        self._truncated = QLabel(wordWrap=True)
        self._warnings = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self._suggestion = QLabel(wordWrap=True)
        self._apply_weights = QPushButton(WEIGHTS_BUTTON)
        self._apply_weights.setToolTip("Sets task.class_weights: the Model page's Loss group weighs by the training counts.")
        self._suggestion_box = _suggestion_box(self._suggestion, self._apply_weights)
        self._windows_suggestion = QLabel(wordWrap=True)
        self._apply_windows = QPushButton("Read in windows")
        self._apply_windows.setToolTip("Ticks 'Read long texts in windows' (task.windows).")
        self._windows_box = _suggestion_box(self._windows_suggestion, self._apply_windows)

        side = QVBoxLayout()
        side.addLayout(_labelled("max_length:", self._max_length))
        side.addWidget(self._windows)
        side.addLayout(_labelled("stride:", self._stride))
        for widget in (self._truncated, self._warnings, self._suggestion_box, self._windows_box):
            side.addWidget(widget)
        side.addStretch(1)
        side_panel = QWidget()
        side_panel.setLayout(side)
        side_panel.setFixedWidth(SIDE_WIDTH)
        layout = QHBoxLayout(self)
        layout.addWidget(self._plots, 1)
        layout.addWidget(side_panel)

        self._max_length.valueChanged.connect(self._on_max_length_changed)
        self._stride.valueChanged.connect(self.changed)
        self._windows.toggled.connect(self._on_windows_toggled)
        self._apply_windows.clicked.connect(self._on_apply_windows_clicked)
        self._apply_weights.clicked.connect(self._on_apply_weights_clicked)
        self.show_report(None)

    def set_task(self, task: str) -> None:
        """The task the columns are mapped to: sentence tasks may read in windows, qa always does."""
        self._task = task
        self._show_enabled()

    def show_settings(self, task: TaskConfig) -> None:
        """Show the config's max_length, windows and stride; not a user edit, so no `changed`."""
        with QSignalBlocker(self._max_length), QSignalBlocker(self._stride), QSignalBlocker(self._windows):
            self._windows.setChecked(task.windows)
            self._max_length.setValue(task.max_length or AUTO_LENGTH)
            self._stride.setMaximum(MAX_STRIDE)  # the shown max_length caps it again once lengths are known
            self._stride.setValue(task.stride or AUTO_STRIDE)
        self._show_enabled()

    def update_settings(self, task: TaskConfig) -> None:
        """Write the shown settings into `task`, whose type is already the mapped task."""
        task.max_length = self._chosen_max_length()
        task.stride = self._stride.value() or None  # kept for other tasks: windowed configs use it too
        task.windows = self._windows.isChecked() and task.type in WINDOWED_TASKS

    def show_report(self, report: PreflightReport | None) -> None:
        self._report = report
        self._plots.show_counts(report)
        suggestion = self.suggestion()
        self._suggestion.setText(suggestion or "")
        self._suggestion_box.setVisible(suggestion is not None)
        self._apply_weights.setEnabled(True)
        self._apply_weights.setText(WEIGHTS_BUTTON)
        if report is not None and report.lengths is not None:
            self._max_length.setMaximum(report.lengths.model_max)
            self._max_length.setSpecialValueText(f"Auto ({report.lengths.suggested_max_length})")
        self._show_lengths()

    def report(self) -> PreflightReport | None:
        return self._report

    def warnings(self) -> list[str]:
        if self._report is None:  # before a check: nothing to import (preflight loads pyarrow)
            return []
        from workbench.core.data.preflight import preflight_warnings

        return preflight_warnings(self._report, self._chosen_max_length(), self._windowed())

    def suggestion(self) -> str | None:
        """The suggestion to weigh the loss by class, shown with its Apply button."""
        if self._report is None:
            return None
        from workbench.core.data.preflight import class_weight_suggestion

        return class_weight_suggestion(self._report)

    def windows_suggestion(self) -> str | None:
        """The suggestion to read long texts in windows, shown with its button while they are not."""
        if self._report is None or self._windowed():
            return None
        from workbench.core.data.preflight import windows_suggestion

        return windows_suggestion(self._report, self._chosen_max_length())

    # --- slots ------------------------------------------------------------------------------

    def _on_max_length_changed(self) -> None:
        self._show_lengths()
        self.changed.emit()

    def _on_windows_toggled(self) -> None:
        self._show_enabled()
        self._show_lengths()
        self.changed.emit()

    def _on_apply_windows_clicked(self) -> None:
        self._windows.setChecked(True)

    def _on_apply_weights_clicked(self) -> None:
        self._apply_weights.setEnabled(False)
        self._apply_weights.setText("Class weights applied (Model page, Loss)")
        self.class_weights_applied.emit()
        self.changed.emit()

    # --- helpers ----------------------------------------------------------------------------

    def _windowed(self) -> bool:
        """Whether long rows are read in windows: qa always, sentence tasks when ticked."""
        return self._task == "qa" or (self._task in WINDOWED_TASKS and self._windows.isChecked())

    def _chosen_max_length(self) -> int | None:
        return None if self._max_length.value() == AUTO_LENGTH else self._max_length.value()

    def _show_enabled(self) -> None:
        self._windows.setEnabled(self._task in WINDOWED_TASKS)
        self._stride.setEnabled(self._windowed())

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
            f"<b style='color:{theme.state_colour('warn', self)}'>{len(warnings)} warning(s)</b>"
            f"<ul style='margin:0'>{items}</ul>" if warnings
            else f"<b style='color:{theme.state_colour('done', self)}'>No problems found.</b>"
        )
