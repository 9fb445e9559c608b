"""Extractive question answering on the Data, Model, Results and Try it pages, with real tiny runs."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel

from tests.tiny_models import tiny_task_config, write_squad_json
from tests.ui.pages_fixtures import WAIT_MS, config_on, data_view, idle_pool, tiny_backbone  # noqa: F401
from workbench.core.evaluation.results import SplitResults
from workbench.core.events import RunFinished
from workbench.core.export.predict import Predictor
from workbench.core.training.run import train
from workbench.demo import DEMO_SQUAD, demo_config
from workbench.ui.qmodels.results_models import NO_ANSWER
from workbench.ui.views.answer_html import ANSWER_TYPES, BOTH, PREDICTED, TRUE, highlight_answers
from workbench.ui.views.entity_html import type_colour
from workbench.ui.views.model_view import ModelView
from workbench.ui.views.results_view import ResultsView
from workbench.ui.views.try_view import CHOSEN_COLOUR, TryView

pytestmark = pytest.mark.usefixtures("idle_pool")

COLOUR = {kind: type_colour(kind, ANSWER_TYPES) for kind in ANSWER_TYPES}


@pytest.fixture(scope="module")
def unanswerable_run(tmp_path_factory, tiny_backbone_dir) -> Path:
    """A short qa run on SQuAD v2.0 data: a third of its questions have no answer."""
    folder = tmp_path_factory.mktemp("qa-v2")
    config = tiny_task_config(folder, tiny_backbone_dir, "qa", max_steps=12)
    config.data.source = str(write_squad_json(folder / "squad2.json", unanswerable=True))
    result = train(config)
    assert isinstance(result, RunFinished), result
    return Path(result.run_dir)


def picker_labels(view) -> list[str]:
    return [label.text() for label in view.findChildren(QLabel) if label.text().endswith(":")]


def shown_results(qtbot, run_dir: Path) -> ResultsView:
    view = ResultsView()
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        view.show_run(run_dir)
    return view


# --- the Data and Model pages -----------------------------------------------------------------


def test_a_squad_file_opens_as_qa_with_its_question_context_and_answers(qtbot, data_view, tiny_backbone, tmp_path):  # noqa: F811
    squad = write_squad_json(tmp_path / "squad.json", unanswerable=True)
    with qtbot.waitSignals([data_view.task_guessed, data_view.loaded, data_view.checked], timeout=WAIT_MS):
        data_view.load(str(squad))
    assert data_view.task() == "qa"
    assert {"Question:", "Context:", "Answers:"} <= set(picker_labels(data_view))
    assert "Text (or tokens):" not in picker_labels(data_view)
    config = config_on(tiny_backbone)
    data_view.update_config(config)
    data = config.data
    assert (data.text_column, data.text_pair_column, data.label_column) == ("question", "context", "answers")
    assert config.task.type == "qa" and config.validate() == []
    assert data_view.report().label_counts["train"]["unanswerable"] > 0
    assert data_view.error() == ""


def test_the_demo_squad_file_shows_qa_and_offers_no_class_weights(qtbot, data_view):
    """The demo's answerable questions outnumber the unanswerable four to one: classes of rows, not of a label."""
    with qtbot.waitSignals([data_view.loaded, data_view.checked], timeout=WAIT_MS):
        data_view.load(str(DEMO_SQUAD))
    assert data_view.task() == "qa"
    counts = data_view.report().label_counts["train"]
    assert counts["answerable"] > 3 * counts["unanswerable"] > 0
    assert data_view.suggestion() is None
    assert any("overlapping windows" in label.text() for label in data_view.findChildren(QLabel))


def test_a_qa_config_with_default_columns_shows_squad_s_and_keeps_its_stride(qtbot, data_view, tiny_backbone):  # noqa: F811
    """demo_config("qa") leaves the columns at their defaults, which the engine reads as SQuAD's names."""
    config = demo_config("qa")
    config.backbone.name = str(tiny_backbone)
    config.task.max_length, config.task.stride = 48, 16
    with qtbot.waitSignal(data_view.checked, timeout=WAIT_MS):
        data_view.show_config(config)
    combos = [c for c in data_view.findChildren(QComboBox) if c.findData("question") >= 0]
    assert sorted(c.currentText() for c in combos) == ["answers", "context", "question"]
    out = config_on(tiny_backbone)
    data_view.update_config(out)
    assert (out.data.text_column, out.data.text_pair_column, out.data.label_column) == ("question", "context", "answers")
    assert (out.task.type, out.task.max_length, out.task.stride) == ("qa", 48, 16)


def test_the_model_page_leaves_class_options_out_of_a_qa_config(qtbot, tiny_backbone):  # noqa: F811
    view = ModelView()
    qtbot.addWidget(view)
    config = config_on(tiny_backbone)
    config.data.source = str(DEMO_SQUAD)
    config.task.class_weights, config.task.label_smoothing, config.task.dropout = True, 0.1, 0.2
    view.show_config(config)
    view.set_task("qa")
    combos = [c for c in view.findChildren(QComboBox) if c.findData(True) >= 0 or c.findData("focal") >= 0]
    assert combos and not any(c.isEnabled() for c in combos)
    assert "span of its context" in " ".join(label.text() for label in view.findChildren(QLabel))
    view.update_config(config)
    assert config.task.type == "qa" and config.validate() == []
    assert (config.task.class_weights, config.task.label_smoothing, config.task.dropout) == (False, 0.0, None)


# --- the Results page -------------------------------------------------------------------------


def test_results_list_the_questions_worst_first_and_mark_both_answers(qtbot, qtmodeltester, trained_run):
    run_dir = trained_run("qa")
    view = shown_results(qtbot, run_dir)
    results = SplitResults.load(run_dir, "validation")
    panel = view.qa
    assert view.panels.currentWidget() is panel
    assert "exact match" in view.metrics.text() and f"F1 {results.metrics['f1']:.4f}" in view.metrics.text()
    model, table = panel.questions, panel.table.model()
    qtmodeltester.check(model)
    worst = results.questions()
    assert model.rowCount() == results.rows == len(worst) > 0
    assert [table.data(table.index(row, 0)) for row in range(table.rowCount())] == [q.question for q in worst]
    f1s = [float(table.data(table.index(row, 3))) for row in range(table.rowCount())]
    assert f1s == sorted(f1s)
    assert [table.headerData(c, Qt.Orientation.Horizontal) for c in range(5)] == [
        "Question", "True answer", "Predicted", "F1", "Score"]

    first = worst[0]
    assert panel.selected() == first and first.f1 < 1  # the tiny model errs somewhere
    html, text = panel.context.toHtml(), panel.context.toPlainText()
    assert first.question in text and first.context[:20] in text
    assert f"True: {first.answers[0]}" in text and f"Predicted: {first.pred}" in text
    if first.f1 == 0:  # no word in common: each answer in its own colour
        assert COLOUR[TRUE] in html and COLOUR[PREDICTED] in html

    best = max(range(len(worst)), key=lambda row: (worst[row].f1, -row))
    panel.table.selectRow(best)
    assert panel.selected() == worst[best]
    if worst[best].f1 == 1:
        assert COLOUR[BOTH] in panel.context.toHtml()

    panel.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # best F1 first, by a click on the header
    assert float(table.data(table.index(0, 3))) == max(f1s)


def test_results_of_squad_v2_data_show_no_answer_accuracy_and_no_answers(qtbot, unanswerable_run):
    view = shown_results(qtbot, unanswerable_run)
    results = view.results()
    assert "no_answer_accuracy" in results.metrics
    assert f"no-answer accuracy {results.metrics['no_answer_accuracy']:.4f}" in view.metrics.text()
    model = view.qa.questions
    true_answers = [model.data(model.index(row, 1)) for row in range(model.rowCount())]
    assert true_answers.count(NO_ANSWER) == sum(1 for q in results.questions() if not q.answers) > 0


def test_marked_contexts_are_escaped_and_overlaps_get_their_own_colour():
    context = "<b>john</b> visited paris"
    html = highlight_answers(context, true=[(3, 7)], predicted=[(3, 25)])
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert html.index(COLOUR[BOTH]) < html.index(COLOUR[PREDICTED]) and COLOUR[TRUE] not in html
    assert highlight_answers("no answer here", [], []) == "no answer here"


# --- the Try it page --------------------------------------------------------------------------


def loaded_try_page(qtbot, model_dir: Path) -> TryView:
    view = TryView()
    qtbot.addWidget(view)
    view.show()
    view.show_model(model_dir)
    qtbot.waitUntil(view.predict_button.isEnabled, timeout=WAIT_MS)
    return view


def test_try_it_finds_the_answer_in_the_context_with_alternatives(qtbot, trained_run):
    model_dir = trained_run("qa") / "model"
    view = loaded_try_page(qtbot, model_dir)
    assert view.pair.isVisible() and view.output.currentWidget() is view.qa
    assert "question" in view.text.placeholderText() and "context" in view.pair.placeholderText()
    question, context = "who works for acme ?", "mary visited paris . john works for acme corp ."
    view.text.setPlainText(question)
    view.pair.setPlainText(context)
    with qtbot.waitSignal(view.predicted, timeout=WAIT_MS) as predicted:
        qtbot.mouseClick(view.predict_button, Qt.MouseButton.LeftButton)
    shown = predicted.args[0]
    expected = Predictor.load(model_dir).predict([question], [context])[0]
    assert [(a.text, a.start) for a in shown.answers] == [(a.text, a.start) for a in expected.answers]
    assert shown.label and shown.label in context
    assert f"Answer: <b>{shown.label}</b>" in view.answer.text() and f"{shown.confidence:.3f}" in view.answer.text()
    start = shown.answers[0].start
    marked = context[:start] + shown.label + f" {PREDICTED}" + context[start + len(shown.label):]
    assert view.qa.context.toPlainText() == marked and COLOUR[PREDICTED] in view.qa.context.toHtml()
    bars = view.qa.alternatives.bars.opts
    assert list(bars["width"]) == pytest.approx([a.score for a in reversed(shown.answers)])
    assert bars["brushes"][-1] == CHOSEN_COLOUR and len(shown.answers) > 1  # the best on top


def test_try_it_asks_for_a_context_and_says_plainly_when_there_is_no_answer(qtbot, unanswerable_run):
    view = loaded_try_page(qtbot, unanswerable_run / "model")
    view.text.setPlainText("who visited berlin ?")
    view.predict()
    assert "context box is empty" in view.status.error()
    view.pair.setPlainText("john visited paris . mary works for acme corp .")
    with qtbot.waitSignal(view.predicted, timeout=WAIT_MS) as predicted:
        view.predict()
    shown = predicted.args[0]
    assert view.status.error() == ""
    if shown.label:
        assert f"Answer: <b>{shown.label}</b>" in view.answer.text()
    else:  # the empty answer won: said in words, nothing marked
        assert "No answer" in view.answer.text() and COLOUR[PREDICTED] not in view.qa.context.toHtml()
