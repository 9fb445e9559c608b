"""The Results page on tiny runs of each task."""

import pytest
from PySide6.QtCore import Qt

from workbench.core.evaluation.results import SplitResults
from workbench.ui.views.results_view import ResultsView

WAIT_MS = 60_000


@pytest.fixture
def results_view(qtbot):
    view = ResultsView()
    qtbot.addWidget(view)
    view.show()
    return view


def show(qtbot, view: ResultsView, run_dir) -> SplitResults:
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS) as loaded:
        view.show_run(run_dir)
    return loaded.args[0]


def cell_texts(model, column: int) -> list[str]:
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def test_classification_matrix_cells_filter_the_rows(qtbot, results_view, trained_run):
    run_dir = trained_run("single_label")
    results = show(qtbot, results_view, run_dir)
    assert results_view.split_combo.currentText() == "validation"
    panel = results_view.classification
    assert results_view.panels.currentWidget() is panel
    counts = results.confusion()
    shown = [[int(panel.confusion.data(panel.confusion.index(r, c)).replace(",", "")) for c in range(2)] for r in range(2)]
    assert shown == counts.tolist() and counts.sum() == results.rows
    assert "accuracy" in results_view.metrics.text()

    # no filter: every misclassified row, most confident first
    assert panel.rows.rowCount() == results.rows - int(counts.trace())
    # a click on a cell lists exactly that cell's rows
    for true, pred in ((0, 1), (1, 1)):
        rect = panel.matrix.visualRect(panel.confusion.index(true, pred))
        qtbot.mouseClick(panel.matrix.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert panel.rows.rowCount() == counts[true, pred]
        assert panel.true_filter.currentData() == true and panel.pred_filter.currentData() == pred
    assert "correct" in panel.rows_label.text()

    panel.shares.setChecked(True)
    assert panel.confusion.data(panel.confusion.index(1, 1)).endswith("%")
    assert cell_texts(panel.report, 0) == results.label_names


def test_the_test_split_is_a_choice_when_the_run_has_one(qtbot, results_view, trained_run):
    run_dir = trained_run("single_label")
    show(qtbot, results_view, run_dir)
    splits = [results_view.split_combo.itemText(i) for i in range(results_view.split_combo.count())]
    assert splits[0] == "validation"
    if "test" in splits:
        with qtbot.waitSignal(results_view.loaded, timeout=WAIT_MS) as loaded:
            results_view.split_combo.setCurrentText("test")
        assert loaded.args[0].split == "test"


def test_multi_label_threshold_slider_updates_f1(qtbot, results_view, trained_run):
    results = show(qtbot, results_view, trained_run("multi_label"))
    panel = results_view.multi_label
    assert results_view.panels.currentWidget() is panel
    at_half = results.at_threshold(0.5)
    assert f"{at_half.micro_f1:.3f}" in panel.summary.text()
    panel.slider.setValue(5)
    low = results.at_threshold(0.05)
    assert f"micro F1 <b>{low.micro_f1:.3f}</b>" in panel.summary.text()
    assert cell_texts(panel.report, 0) == [r.name for r in low.per_label]
    recalls = [float(t) for t in cell_texts(panel.report, 2)]
    assert recalls == pytest.approx([round(r.recall, 3) for r in low.per_label], abs=1e-3)


def test_token_results_list_entity_types_and_error_sentences(qtbot, results_view, trained_run):
    results = show(qtbot, results_view, trained_run("token"))
    panel = results_view.token
    assert results_view.panels.currentWidget() is panel
    assert cell_texts(panel.report, 0) == [r.name for r in results.entity_report()]
    errors = results.error_sentences()
    assert f"{len(errors):,} sentences with errors" in panel.errors_label.text()
    if errors:
        html = panel.errors.toHtml()
        assert "gold:" in html and "predicted:" in html and errors[0].tokens[0] in html


def test_a_run_without_results_says_so(qtbot, results_view, tmp_path):
    run_dir = tmp_path / "runs" / "broken"
    run_dir.mkdir(parents=True)
    results_view.show_run(run_dir)
    qtbot.waitUntil(lambda: bool(results_view.status.error()), timeout=WAIT_MS)
    assert str(run_dir) in results_view.status.error()
    assert not results_view.export_button.isEnabled()
