"""Extractive QA through the engine: a tiny model learns SQuAD-format questions, its results name each
question's predicted and true answers, it predicts from Python and CSV, its export answers the same in
plain transformers, its ONNX export matches PyTorch, and SQuAD v2.0 data teaches it to answer nothing."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tiny_models import finished_run, tiny_task_config, write_squad_json
from workbench.core.evaluation.results import SplitResults
from workbench.core.export.folder import export_run, validation_rows
from workbench.core.export.onnx import export_onnx
from workbench.core.export.predict import Predictor, SavedModel, run_max_length
from workbench.core.export.predict_files import predict_csv

CONTEXTS = ["smith visited london . john works for acme corp .", "mary visited paris . smith works for acme corp ."]
QUESTIONS = ["who works for acme ?", "who visited paris ?"]

# Runs in a fresh interpreter that never imports the workbench: what a user of the export runs
# (transformers 5 has no question-answering pipeline, so the model and tokenizer are used as they are).
PLAIN_SCRIPT = """
import json, sys
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer
folder, questions, contexts = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
tokenizer = AutoTokenizer.from_pretrained(folder)
model = AutoModelForQuestionAnswering.from_pretrained(folder).eval()
out = []
for question, context in zip(questions, contexts):
    inputs = tokenizer(question, context, return_offsets_mapping=True, return_tensors="pt")
    offsets, context_tokens = inputs.pop("offset_mapping")[0], [s == 1 for s in inputs.sequence_ids(0)]
    with torch.no_grad():
        result = model(**inputs)
    start, end = result.start_logits[0], result.end_logits[0]
    best = max(((s, e) for s in range(len(start)) for e in range(s, min(s + 15, len(end)))
                if context_tokens[s] and context_tokens[e]), key=lambda span: float(start[span[0]] + end[span[1]]))
    out.append(context[int(offsets[best[0]][0]):int(offsets[best[1]][1])])
assert not any(name.startswith(("workbench", "peft")) for name in sys.modules), "the export needs more than transformers"
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def qa_runs(tmp_path_factory, tiny_backbone_dir):
    """`qa_runs(unanswerable)`: a tiny QA run on SQuAD v1.1 data, or on v2.0 data with unanswerable questions."""
    runs = {}

    def get(unanswerable: bool = False) -> Path:
        if unanswerable not in runs:
            folder = tmp_path_factory.mktemp(f"qa-{unanswerable}")
            config = tiny_task_config(folder, tiny_backbone_dir, "qa", max_steps=1200)
            config.data.source = str(write_squad_json(folder / "squad.json", paragraphs=120, unanswerable=unanswerable))
            config.training.learning_rate = 2e-3  # 3e-3 collapsed on one seed in nine, with either dropout
            config.training.eval_steps = 1200
            runs[unanswerable] = finished_run(config)
        return runs[unanswerable]

    return get


def test_a_qa_run_learns_and_scores_squad_metrics(qa_runs):
    run_dir = qa_runs()
    status = json.loads((run_dir / "status.json").read_text())
    metrics = status["final_metrics"]
    assert {"validation_exact_match", "validation_f1", "validation_accuracy"} <= set(metrics)
    assert metrics["validation_f1"] >= 0.85  # chance (a random span) is far below
    config = json.loads((run_dir / "model" / "config.json").read_text())
    assert config["architectures"] == ["BertForQuestionAnswering"]
    max_length = run_max_length(run_dir)
    assert config["task_specific_params"] == {"question-answering": {"max_seq_len": max_length,
                                                                     "doc_stride": max_length // 2}}


def test_results_name_each_question_s_answers(qa_runs):
    run_dir = qa_runs()
    split = SplitResults.load(run_dir, "validation")
    questions = split.questions(worst_first=False)
    assert len(questions) == split.rows == 24  # 120 paragraphs x 2 questions, a tenth held out
    for question in questions:
        assert question.context[question.pred_start:question.pred_start + len(question.pred)] == question.pred
        assert question.answers and question.context[question.answer_starts[0]:].startswith(question.answers[0])
        assert 0 < question.score <= 1
    # the summary's scores are the rows' mean, as SQuAD's evaluation averages per question
    assert split.metrics["f1"] == pytest.approx(sum(q.f1 for q in questions) / len(questions), abs=1e-5)
    assert split.metrics["exact_match"] == pytest.approx(sum(q.exact_match for q in questions) / len(questions))
    worst = split.questions()
    assert [q.f1 for q in worst] == sorted(q.f1 for q in questions)


def test_the_predictor_answers_with_a_span_and_alternatives(qa_runs):
    predictor = Predictor.load(qa_runs() / "model")
    assert predictor.task == "qa"
    predictions = predictor.predict(QUESTIONS, CONTEXTS)
    assert [p.label for p in predictions] == ["john", "mary"]
    for prediction, context in zip(predictions, CONTEXTS):
        best = prediction.answers[0]
        assert context[best.start:best.start + len(best.text)] == best.text == prediction.label
        assert 1 < len(prediction.answers) <= 5
        assert [a.score for a in prediction.answers] == sorted((a.score for a in prediction.answers), reverse=True)
        assert prediction.confidence == best.score


def test_a_long_context_is_read_in_windows(qa_runs):
    """The answer sits past the first window of a context longer than the model's input."""
    predictor = Predictor.load(qa_runs() / "model")
    context = " ".join(["the plot was great ."] * 20) + " mary works for acme corp ."
    assert len(predictor.tokenizer(context)["input_ids"]) > predictor.max_length
    prediction = predictor.predict(["who works for acme ?"], [context])[0]
    assert prediction.label == "mary" and prediction.answers[0].start == context.index("mary")


def test_predict_csv_reads_question_and_context_columns(qa_runs, tmp_path):
    source = tmp_path / "questions.csv"
    with open(source, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "question", "context"], *[[i, q, c] for i, (q, c) in enumerate(zip(QUESTIONS, CONTEXTS))]])
    before = source.read_bytes()
    assert predict_csv(qa_runs() / "model", source, tmp_path / "out.csv") == 2
    assert source.read_bytes() == before
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as handle:
        out = list(csv.DictReader(handle))
    assert [row["answer"] for row in out] == ["john", "mary"]
    assert [int(row["answer_start"]) for row in out] == [c.index(a) for c, a in zip(CONTEXTS, ["john", "mary"])]
    assert all(0 < float(row["score"]) <= 1 for row in out)


def test_the_export_answers_the_same_in_plain_transformers(qa_runs, tmp_path):
    report = export_run(qa_runs(), tmp_path / "export")
    card = (report.dest / "README.md").read_text()
    assert "AutoModelForQuestionAnswering" in card and "| exact_match |" in card
    done = subprocess.run([sys.executable, "-c", PLAIN_SCRIPT, str(report.dest), json.dumps(QUESTIONS), json.dumps(CONTEXTS)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    assert theirs == [p.label for p in Predictor.load(report.dest).predict(QUESTIONS, CONTEXTS)]


def test_the_onnx_export_matches_pytorch_on_start_and_end_logits(qa_runs, tmp_path):
    run_dir = qa_runs()
    saved = SavedModel.read(run_dir / "model")
    rows = validation_rows(run_dir, saved)
    report = export_onnx(saved.path, tmp_path, saved.task, saved.label_names, rows, int8=True)
    assert report.max_abs_diff < 1e-3 and report.rows_checked == len(rows)
    assert report.fp32_metrics["f1"] >= 0.9 and set(report.int8_delta) == set(report.fp32_metrics)


def test_squad_v2_data_teaches_the_model_to_answer_nothing(qa_runs):
    run_dir = qa_runs(unanswerable=True)
    config = json.loads((run_dir / "model" / "config.json").read_text())
    assert config["task_specific_params"]["question-answering"]["handle_impossible_answer"] is True
    metrics = json.loads((run_dir / "status.json").read_text())["final_metrics"]
    assert metrics["validation_no_answer_accuracy"] >= 0.9
    predictions = Predictor.load(run_dir / "model").predict(["who visited berlin ?", *QUESTIONS], [CONTEXTS[0], *CONTEXTS])
    assert [p.label for p in predictions] == ["", "john", "mary"]
    assert predictions[0].answers[0].start == -1


SQUAD_LIKE = '''
import datasets
import evaluate


class SquadLike(evaluate.Metric):
    """The features of evaluate's squad module (its script is on the Hub), scoring exact matches."""

    def _info(self):
        return evaluate.MetricInfo(description="", citation="", inputs_description="", features=datasets.Features({
            "predictions": {"id": datasets.Value("string"), "prediction_text": datasets.Value("string")},
            "references": {"id": datasets.Value("string"), "answers": datasets.features.Sequence(
                {"text": datasets.Value("string"), "answer_start": datasets.Value("int32")})},
        }))

    def _compute(self, predictions, references):
        truths = {r["id"]: r["answers"]["text"] for r in references}
        hits = sum(p["prediction_text"] in truths[p["id"]] for p in predictions)
        return {"exact_match": 100.0 * hits / len(predictions), "questions": len(predictions)}
'''


def test_an_evaluate_module_of_squad_s_form_scores_the_questions(tmp_path, tiny_backbone_dir):
    folder = tmp_path / "squad_like"
    folder.mkdir()
    (folder / "squad_like.py").write_text(SQUAD_LIKE, encoding="utf-8")
    config = tiny_task_config(tmp_path / "run", tiny_backbone_dir, "qa", max_steps=12)
    config.training.extra_metrics = [str(folder)]
    metrics = json.loads((finished_run(config) / "status.json").read_text())["final_metrics"]
    assert metrics["validation_questions"] == 8  # one prediction per question, not per window
    assert metrics["validation_squad_like_exact_match"] == pytest.approx(100 * metrics["validation_exact_match"])
