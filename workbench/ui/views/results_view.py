"""The Results page: where a run's best model is right and wrong, per split, and its export.

Reads the run's `results/` files (written at the end of training) through `workbench.core.evaluation.results`;
loading happens off the UI thread, everything after that (filters, the threshold slider) is numpy.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QItemSelection, QModelIndex, QSortFilterProxyModel, Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSlider, QSplitter,
    QStackedWidget, QTableView, QTextBrowser, QVBoxLayout, QWidget,
)

from workbench.core.config import RunConfig
from workbench.core.evaluation.results import AnsweredQuestion, SplitResults, available_splits
from workbench.ui.background import BackgroundCall, StatusLine
from workbench.ui.qmodels.results_models import SORT_ROLE, ConfusionModel, QuestionsModel, ReportModel, RowsModel
from workbench.ui.qmodels.results_models import shown_answers
from workbench.ui.views.answer_html import answer_ranges, highlight_answers
from workbench.ui.views.entity_html import entity_types, highlight_words

ANY = -1
ERRORS_SHOWN = 300  # sentences with errors listed on the token page; the rest are counted
METRIC_NAMES = {"f1": "F1", "exact_match": "exact match", "no_answer_accuracy": "no-answer accuracy",
                "has_answer_f1": "F1 on answerable questions"}  # the rest are shown by their own names


def _table(model, sortable: bool = True) -> QTableView:
    table = QTableView(selectionBehavior=QAbstractItemView.SelectionBehavior.SelectRows)
    if sortable:
        proxy = QSortFilterProxyModel(table)
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        table.setModel(proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the source's order until a header is clicked
    else:
        table.setModel(model)
    table.verticalHeader().setDefaultSectionSize(22)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return table


def _column(*items) -> QWidget:
    """Widgets and layouts stacked without margins; a (widget, stretch) pair stretches."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    for item in items:
        item, stretch = item if isinstance(item, tuple) else (item, 0)
        (layout.addLayout if isinstance(item, QHBoxLayout) else lambda w: layout.addWidget(w, stretch))(item)
    return column


def _side_by_side(page: QWidget, left: QWidget, right: QWidget, sizes: list[int]) -> None:
    split = QSplitter()
    split.addWidget(left)
    split.addWidget(right)
    split.setSizes(sizes)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(split)


def _load(run_dir: Path) -> tuple[list[str], SplitResults | None]:
    splits = available_splits(run_dir)
    return splits, SplitResults.load(run_dir, splits[0]) if splits else None


class ClassificationPanel(QWidget):
    """Confusion matrix (click a cell to list its rows), per-class report, and the rows themselves."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._results: SplitResults | None = None
        self.confusion = ConfusionModel(self)
        self.report = ReportModel(self)
        self.rows = RowsModel(self)
        self.matrix = _table(self.confusion, sortable=False)
        self.matrix.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.matrix.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.matrix.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.matrix.clicked.connect(self._on_matrix_clicked)
        self.shares = QCheckBox("Row shares", toolTip="Show each cell as a share of its true class instead of a count.")
        self.shares.toggled.connect(self.confusion.set_normalized)
        self.report_table = _table(self.report)

        self.true_filter, self.pred_filter = QComboBox(), QComboBox()
        self.true_filter.currentIndexChanged.connect(self._refresh_rows)
        self.pred_filter.currentIndexChanged.connect(self._refresh_rows)
        self.rows_label = QLabel()
        self.rows_table = _table(self.rows)
        self.rows_table.setWordWrap(False)

        matrix_bar = QHBoxLayout()
        matrix_bar.addWidget(QLabel("<b>Confusion matrix</b> (rows: true class, columns: predicted)"), 1)
        matrix_bar.addWidget(self.shares)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("True"))
        filters.addWidget(self.true_filter)
        filters.addWidget(QLabel("Predicted"))
        filters.addWidget(self.pred_filter)
        filters.addWidget(self.rows_label, 1)
        left = _column(matrix_bar, (self.matrix, 3), QLabel("<b>Per class</b>"), (self.report_table, 2))
        _side_by_side(self, left, _column(filters, (self.rows_table, 1)), [420, 640])

    def show_results(self, results: SplitResults) -> None:
        self._results = results
        names = results.label_names
        self.confusion.set_matrix(results.confusion(), results.confusion(normalize=True), names)
        self.report.set_reports(results.per_class())
        for combo in (self.true_filter, self.pred_filter):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("any", ANY)
            for i, name in enumerate(names):
                combo.addItem(name, i)
            combo.blockSignals(False)
        self._refresh_rows()

    def filter_cell(self, true: int, pred: int) -> None:
        """List the rows of one matrix cell (the diagonal lists rows predicted right)."""
        for combo, value in ((self.true_filter, true), (self.pred_filter, pred)):
            combo.blockSignals(True)
            combo.setCurrentIndex(combo.findData(value))
            combo.blockSignals(False)
        self._refresh_rows()

    @Slot(QModelIndex)
    def _on_matrix_clicked(self, index: QModelIndex) -> None:
        self.filter_cell(index.row(), index.column())

    @Slot()
    def _refresh_rows(self) -> None:
        if self._results is None:
            return
        true, pred = self.true_filter.currentData(), self.pred_filter.currentData()
        true, pred = (None if v == ANY else v for v in (true, pred))
        rows = self._results.misclassified(true=true, pred=pred)
        self.rows.set_rows(rows, self._results.label_names, pairs=self._results.task == "pair")
        right = true is not None and true == pred
        self.rows_label.setText(f"{len(rows):,} {'correct' if right else 'misclassified'} rows, most confident first")


class MultiLabelPanel(QWidget):
    """Per-label report at a threshold that a slider moves; micro and macro F1 follow live."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._results: SplitResults | None = None
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=1, maximum=99, value=50,
                              toolTip="A label is predicted when its probability reaches the threshold.")
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.summary = QLabel()
        self.report = ReportModel(self)
        table = _table(self.report)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Threshold"))
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(table, 1)

    def show_results(self, results: SplitResults) -> None:
        self._results = results
        self._on_slider_value_changed(self.slider.value())

    def threshold(self) -> float:
        return self.slider.value() / 100

    @Slot(int)
    def _on_slider_value_changed(self, value: int) -> None:
        if self._results is None:
            return
        report = self._results.at_threshold(value / 100)
        self.summary.setText(f"at {value / 100:.2f}: micro F1 <b>{report.micro_f1:.3f}</b>, "
                             f"macro F1 <b>{report.macro_f1:.3f}</b>")
        self.report.set_reports(report.per_label, "Label")


class TokenPanel(QWidget):
    """The entity-level report per type and the sentences with errors, gold and predicted spans marked."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.report = ReportModel(self)
        table = _table(self.report)
        self.errors_label = QLabel()
        self.errors = QTextBrowser()
        _side_by_side(self, table, _column(self.errors_label, (self.errors, 1)), [360, 700])

    def show_results(self, results: SplitResults) -> None:
        self.report.set_reports(results.entity_report(), "Entity type")
        types = entity_types(results.label_names)
        sentences = results.error_sentences()
        self.errors_label.setText(f"<b>{len(sentences):,} sentences with errors</b>"
                                  + (f" (the first {ERRORS_SHOWN} shown)" if len(sentences) > ERRORS_SHOWN else ""))
        blocks = [
            f"<p><b>#{s.index + 1}</b><br>gold: {highlight_words(s.tokens, s.gold_spans, types)}"
            f"<br>predicted: {highlight_words(s.tokens, s.pred_spans, types)}</p>"
            for s in sentences[:ERRORS_SHOWN]
        ]
        self.errors.setHtml("".join(blocks) or "<p>No errors in this split.</p>")


class QuestionsPanel(QWidget):
    """Question answering: the questions, worst first, and the selected one's context with its true and
    predicted answers marked."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.questions = QuestionsModel(self)
        self.table = _table(self.questions)
        self.table.setWordWrap(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.questions_label = QLabel()
        self.context = QTextBrowser()
        _side_by_side(self, _column(self.questions_label, (self.table, 1)), self.context, [640, 420])

    def show_results(self, results: SplitResults) -> None:
        self.questions.set_questions(results.questions())
        self.questions_label.setText(f"<b>{results.rows:,} questions</b>, lowest F1 first (the most confident "
                                     "first among equals); select one to see its context")
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        if results.rows:
            self.table.selectRow(0)
        else:
            self.context.clear()

    def selected(self) -> AnsweredQuestion | None:
        rows = self.table.selectionModel().selectedRows()
        proxy = self.table.model()
        return self.questions.question_at(proxy.mapToSource(rows[0]).row()) if rows else None

    @Slot(QItemSelection, QItemSelection)
    def _on_table_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        question = self.selected()
        if question is None:
            self.context.clear()
            return
        context = highlight_answers(question.context, answer_ranges(question.answers, question.answer_starts),
                                    answer_ranges([question.pred], [question.pred_start]))
        self.context.setHtml(
            f"<p><b>#{question.index + 1}</b> {escape(question.question)}</p>"
            f"<p>True: <b>{escape(shown_answers(question.answers))}</b> &nbsp; "
            f"Predicted: <b>{escape(shown_answers([question.pred]))}</b>"
            f" (score {question.score:.3f}, F1 {question.f1:.3f})</p>"
            f"<p style='font-size:15px'>{context}</p>")


class ResultsView(QWidget):
    changed = Signal()  # part of every page's contract; this page edits nothing in a config
    loaded = Signal(object)  # SplitResults shown

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._run_dir: Path | None = None
        self._stale = False
        self._results: SplitResults | None = None
        self._loading = BackgroundCall(self)
        self._loading.returned.connect(self._on_loading_returned)
        self._split_loading = BackgroundCall(self)
        self._split_loading.returned.connect(self._show)

        self.title = QLabel("Train a run, or select one on the Runs page, to see its results here.")
        self.split_combo = QComboBox(toolTip="The split these results are measured on.",
                                     sizeAdjustPolicy=QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.split_combo.currentTextChanged.connect(self._on_split_combo_text_changed)
        self.export_button = QPushButton("Export…", enabled=False,
                                         toolTip="Write the model as a Hugging Face folder, optionally with ONNX.")
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.status = StatusLine()
        self.status.watch(self._loading)
        self.status.watch(self._split_loading)
        self.metrics = QLabel(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)

        self.classification, self.multi_label, self.token = ClassificationPanel(), MultiLabelPanel(), TokenPanel()
        self.qa = QuestionsPanel()
        self.panels = QStackedWidget()
        self.panels.addWidget(QWidget())
        for panel in (self.classification, self.multi_label, self.token, self.qa):
            self.panels.addWidget(panel)

        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        bar.addWidget(QLabel("Split"))
        bar.addWidget(self.split_combo)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(self.metrics)
        layout.addWidget(self.panels, 1)

    def show_config(self, config: RunConfig) -> None:
        """Nothing to show from a config: results belong to a run."""

    def update_config(self, config: RunConfig) -> None:
        """Nothing to write: this page only reads run folders."""

    def run_dir(self) -> Path | None:
        return self._run_dir

    def results(self) -> SplitResults | None:
        return self._results

    def show_run(self, run_dir: str | Path) -> None:
        """Show this run's results (loaded when the page is next shown, if hidden now)."""
        self._run_dir = Path(run_dir)
        self.title.setText(f"Results of <b>{self._run_dir.name}</b>")
        self.export_button.setEnabled((self._run_dir / "model").is_dir())
        self._stale = True
        if self.isVisible():
            self._reload()

    def _reload(self) -> None:
        self._stale = False
        self.status.show_busy(f"Reading the results of {self._run_dir.name}…")
        self._loading.start(_load, self._run_dir)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._reload()

    @Slot(object)
    def _on_loading_returned(self, loaded: tuple[list[str], SplitResults | None]) -> None:
        splits, results = loaded
        self.split_combo.blockSignals(True)
        self.split_combo.clear()
        self.split_combo.addItems(splits)
        self.split_combo.blockSignals(False)
        if results is None:
            self.status.show_error(f"The run {self._run_dir} has no results: it did not finish training.")
            self.panels.setCurrentIndex(0)
            self.metrics.clear()
            return
        self._show(results)

    @Slot(str)
    def _on_split_combo_text_changed(self, split: str) -> None:
        if split and self._run_dir is not None:
            self.status.show_busy(f"Reading the {split} results…")
            self._split_loading.start(SplitResults.load, self._run_dir, split)

    @Slot(object)
    def _show(self, results: SplitResults) -> None:
        self._results = results
        shown = ", ".join(f"{METRIC_NAMES.get(name, name)} {value:.4f}" for name, value in results.metrics.items()
                          if isinstance(value, float))
        self.metrics.setText(f"<b>{results.split}</b> ({results.rows:,} rows): {shown}")
        panel = {"multi_label": self.multi_label, "token": self.token, "qa": self.qa}.get(results.task, self.classification)
        panel.show_results(results)
        self.panels.setCurrentWidget(panel)
        self.loaded.emit(results)

    @Slot()
    def _on_export_button_clicked(self) -> None:
        from workbench.ui.views.export_dialog import ExportDialog  # the export engine loads when first used

        ExportDialog(self._run_dir, self).open()
