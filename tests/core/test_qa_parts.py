"""The parts of extractive QA: SQuAD files, answer placement, window labels, answers and scores."""

import csv
import json

import numpy as np
import pytest

from tests.tiny_models import build_tiny_backbone
from workbench.core.data.squad import looks_like_squad, read_squad
from workbench.core.errors import WorkbenchError
from workbench.core.tasks.qa_columns import place_answer
from workbench.core.tasks.qa_scores import exact_match, normalize_answer, squad_scores, token_f1
from workbench.core.tasks.qa_windows import best_answers, encode_windows

CONTEXT = "john visited paris. mary works for acme corp in london."


def squad_file(path, version="1.1", impossible=False):
    qas = [{"id": "q1", "question": "who works for acme?", "answers": [{"text": "mary", "answer_start": 20}]}]
    if impossible:
        qas.append({"id": "q2", "question": "who visited berlin?", "answers": [], "is_impossible": True})
    content = {"version": version, "data": [{"title": "People", "paragraphs": [{"context": CONTEXT, "qas": qas}]}]}
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_squad_v1_rows_have_the_hub_columns(tmp_path):
    path = squad_file(tmp_path / "train.json")
    assert looks_like_squad(path.read_text())
    rows = read_squad([path], [str(path)])
    assert rows.column_names == ["id", "title", "context", "question", "answers"]
    row = rows[0]
    assert (row["id"], row["title"], row["question"]) == ("q1", "People", "who works for acme?")
    assert row["answers"] == {"text": ["mary"], "answer_start": [20]}
    assert CONTEXT[20:24] == "mary"


def test_squad_v2_unanswerable_questions_have_no_answers(tmp_path):
    path = squad_file(tmp_path / "dev.json", version="v2.0", impossible=True)
    rows = read_squad([path], [str(path)])
    assert len(rows) == 2
    assert rows[1]["answers"] == {"text": [], "answer_start": []}


def test_a_broken_question_is_named_by_its_position(tmp_path):
    path = tmp_path / "train.json"
    path.write_text(json.dumps({"data": [{"paragraphs": [{"context": "x", "qas": [
        {"id": "a", "question": "q", "answers": [{"text": "x", "answer_start": "first"}]}]}]}]}), encoding="utf-8")
    with pytest.raises(WorkbenchError, match=r"train.json article 1 paragraph 1 question 1 has an answer with an invalid 'answer_start' \('first'\)"):
        read_squad([path], [str(path)])


def test_an_answer_without_a_start_is_found_in_its_context(tmp_path):
    from workbench.core.config import DataConfig
    from workbench.core.data import prepare

    qas = [{"id": f"q{i}", "question": "who works for acme?", "answers": [{"text": "mary", "answer_start": None}]}
           for i in range(8)] + [{"id": "q9", "question": "who?", "answers": [{"text": "rome"}]}]
    content = {"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": CONTEXT, "qas": qas}]}]}
    path = tmp_path / "train.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    assert read_squad([path], [str(path)])[0]["answers"] == {"text": ["mary"], "answer_start": [-1]}
    data = prepare(DataConfig(source=str(path), validation_fraction=0.2), "qa")
    rows = [row for split in data.splits.values() for row in split]
    assert [row["answers"] for row in rows] == [{"text": ["mary"], "answer_start": [20]}] * 8
    assert len(data.notes) == 1 and data.notes[0].startswith("1 of ")


def test_a_context_longer_than_the_sample_still_reads_as_squad(tmp_path):
    from workbench.core.data import load_raw

    context = "mary works for acme corp . " * 4000  # 108 KB on one line: the questions come after 64 KB
    qas = [{"id": "q", "question": "who works for acme?", "answers": [{"text": "mary", "answer_start": 0}]}]
    path = tmp_path / "train.json"
    path.write_text(json.dumps({"version": "1.1", "data": [{"title": "t", "paragraphs": [
        {"context": context, "qas": qas}]}]}), encoding="utf-8")
    assert load_raw(str(path))["train"][0]["question"] == "who works for acme?"


def test_a_plain_json_list_is_not_squad():
    assert not looks_like_squad('[{"text": "good", "label": 1}]')
    assert not looks_like_squad('{"data": [{"text": "good", "label": 1}]}')


@pytest.mark.parametrize(("text", "expected"), [
    ("acme corp", (35, "acme corp")),
    ("Acme  Corp", (35, "acme corp")),  # case and spaces differ
    ("berlin", None),
])
def test_place_answer(text, expected):
    assert place_answer(CONTEXT, text) == expected


def test_squad_normalisation_and_scores_by_hand():
    assert normalize_answer("The  Acme, Corp!") == "acme corp"
    assert exact_match("the acme corp", "Acme Corp.") == 1.0
    # prediction "acme corp in london" vs truth "acme corp": 2 common, precision 2/4, recall 2/2 -> F1 2/3
    assert token_f1("acme corp in london", "acme corp") == pytest.approx(2 / 3)
    assert token_f1("", "") == 1.0 and token_f1("mary", "") == 0.0
    scores = squad_scores(["mary", "acme corp in london", ""], [["Mary", "mary smith"], ["acme corp"], []])
    assert scores["exact_match"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx((1 + 2 / 3 + 1) / 3)
    assert scores["no_answer_accuracy"] == 1.0
    assert scores["has_answer_f1"] == pytest.approx((1 + 2 / 3) / 2)
    assert "no_answer_accuracy" not in squad_scores(["mary"], [["mary"]])


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(build_tiny_backbone(tmp_path_factory.mktemp("tiny")))


def test_windows_label_the_answer_where_they_hold_all_of_it(tokenizer):
    context = " ".join(["john visited paris ."] * 6) + " mary works for acme corp ."
    start = context.index("acme corp")
    batch = {"question": ["who works for acme ?"], "context": [context],
             "answers": [{"text": ["acme corp"], "answer_start": [start]}]}
    windows = encode_windows(batch, [7], tokenizer, max_length=20, stride=4)
    assert len(windows["input_ids"]) > 2 and set(windows["example"]) == {7}
    labelled = []
    for ids, s, e, offsets in zip(windows["input_ids"], windows["start_positions"], windows["end_positions"], windows["offsets"]):
        spans = [span for span in offsets if span is not None]
        holds = spans[0][0] <= start and spans[-1][1] >= start + len("acme corp")
        if holds:
            assert tokenizer.decode(ids[s:e + 1]) == "acme corp"
            assert offsets[s] == [start, start + 4]  # the span of the word "acme"
            assert context[offsets[s][0]:offsets[e][1]] == "acme corp"
            labelled.append(s)
        else:
            assert (s, e) == (0, 0)  # [CLS]
    assert labelled
    assert all(offsets[0] is None for offsets in windows["offsets"])  # [CLS] and the question map to nothing


def test_neighbouring_windows_share_stride_tokens(tokenizer):
    context = " ".join(["john visited paris ."] * 8)
    windows = encode_windows({"question": ["who ?"], "context": [context]}, [0], tokenizer, 20, 4, labelled=False)
    first, second = ([span for span in offsets if span is not None] for offsets in windows["offsets"][:2])
    assert first[-4:] == second[:4]


def softmax(values):
    values = np.exp(np.asarray(values) - np.max(values))
    return values / values.sum()


def test_best_answers_scores_spans_by_start_times_end_probability():
    offsets = [None, None, [0, 4], [5, 12], [13, 18], None]  # [CLS], a question token, 3 context words, [SEP]
    context = "john visited paris"
    starts = np.array([0.0, 9.0, 1.0, 5.0, 0.5, 9.0])
    ends = np.array([0.0, 9.0, 0.2, 1.0, 6.0, 9.0])
    best = best_answers([np.stack([starts, ends], axis=-1)], [offsets], context, top_k=2)
    # tokens outside the context are masked away before the softmax; [CLS] stays in
    p_start, p_end = softmax(starts[[0, 2, 3, 4]]), softmax(ends[[0, 2, 3, 4]])
    assert best[0].text == "visited paris" and best[0].start == 5
    assert best[0].score == pytest.approx(p_start[2] * p_end[3], rel=1e-5)
    assert best[1].text == "john visited paris" and best[1].score == pytest.approx(p_start[1] * p_end[3], rel=1e-5)
    assert best_answers([np.stack([starts, ends], axis=-1)], [offsets], context, max_answer_tokens=1)[0].text == "paris"


def test_the_empty_answer_competes_with_the_lowest_cls_score_over_windows():
    offsets = [None, [0, 4], [5, 12], None]
    strong_cls = np.array([[20.0, 20.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    weak_cls = np.array([[8.0, 8.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    one = best_answers([strong_cls], [offsets], "john visited", allow_empty=True)[0]
    assert one.text == "" and one.start == -1
    both = best_answers([strong_cls, weak_cls], [offsets, offsets], "john visited", top_k=3, allow_empty=True)
    empty = next(answer for answer in both if answer.text == "")
    assert empty.score == pytest.approx(softmax([8.0, 1.0, 0.0])[0] * softmax([8.0, 0.0, 1.0])[0], rel=1e-5)
    assert best_answers([strong_cls], [offsets], "john visited")[0].text != ""  # v1.1 data: never empty


def test_load_raw_reads_a_squad_folder(tmp_path):
    from workbench.core.data import load_raw

    squad_file(tmp_path / "train.json")
    squad_file(tmp_path / "validation.json", version="v2.0", impossible=True)
    raw = load_raw(str(tmp_path))
    assert {name: len(split) for name, split in raw.items()} == {"train": 1, "validation": 2}
    assert raw["validation"][1]["question"] == "who visited berlin?"


def test_the_qa_demo_loads_with_every_answer_in_its_context():
    from workbench.core.data import load_raw
    from workbench.demo import DEMO_DIR

    rows = load_raw(str(DEMO_DIR / "qa_sample.json"))["train"]
    assert len(rows) == 300
    unanswerable = 0
    for row in rows:
        answers = row["answers"]
        unanswerable += not answers["text"]
        for text, start in zip(answers["text"], answers["answer_start"]):
            assert row["context"][start:start + len(text)] == text
    assert unanswerable == 60


def test_a_flat_csv_places_its_answers_and_says_how_many_it_could_not(tmp_path, tokenizer):
    from workbench.core.config import DataConfig
    from workbench.core.data import prepare

    rows = [("who works for acme?", CONTEXT, "mary", ""),  # no start: found in the context
            ("who visited paris?", CONTEXT, "john", "3"),  # a wrong start: found again
            ("where does mary work?", CONTEXT, "Acme Corp", "35"),  # case differs: the context's text is kept
            ("who visited berlin?", CONTEXT, "", ""),  # no answer
            ("who visited rome?", CONTEXT, "rome", "")] * 4  # not in the context: left out
    path = tmp_path / "qa.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("question", "context", "answer", "answer_start"), *rows])
    data = prepare(DataConfig(source=str(path), validation_fraction=0.25), "qa")
    prepared = [row for split in data.splits.values() for row in split]
    assert len(prepared) == 16
    by_question = {row["question"]: row["answers"] for row in prepared}
    assert by_question["who works for acme?"] == {"text": ["mary"], "answer_start": [20]}
    assert by_question["who visited paris?"] == {"text": ["john"], "answer_start": [0]}
    assert by_question["where does mary work?"] == {"text": ["acme corp"], "answer_start": [35]}
    assert by_question["who visited berlin?"] == {"text": [], "answer_start": []}
    assert sum(int(note.split(" of ")[0]) for note in data.notes) == 4
    assert all("their answer is not in their context" in note for note in data.notes)


def test_a_split_whose_answers_are_all_missing_is_one_sentence(tmp_path):
    from workbench.core.config import DataConfig
    from workbench.core.data import prepare

    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps({"question": "who?", "context": CONTEXT, "answer": "rome"}) + "\n"
                            for _ in range(10)), encoding="utf-8")
    with pytest.raises(WorkbenchError, match=r"^None of the 9 rows of the train split of .*qa.jsonl can be used: "
                                             r"their answer is not in their context"):
        prepare(DataConfig(source=str(path)), "qa")


def test_preflight_names_the_questions_left_out(tmp_path, tiny_backbone_dir):
    from workbench.core.config import DataConfig
    from workbench.core.data.preflight import preflight_warnings, run_preflight

    path = tmp_path / "qa.jsonl"
    lines = [{"question": "who works for acme?", "context": CONTEXT, "answer": "mary"}] * 9
    lines.append({"question": "who visited rome?", "context": CONTEXT, "answer": "rome"})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    report = run_preflight(DataConfig(source=str(path)), "qa", str(tiny_backbone_dir))
    assert report.split_counts == {"train": 8, "validation": 1}
    assert report.lengths.per_split["train"]["rows"] == 8
    warning = next(w for w in preflight_warnings(report, None) if "left out" in w)
    assert warning == (f"1 of 9 rows of the train split of {path} were left out: their answer is not in their "
                       "context (check the answer and answer_start columns).")


def squad_articles(path, articles, contexts, questions):
    data = [{"title": f"Article {a}" if articles > 1 else "", "paragraphs": [
        {"context": f"{CONTEXT} paragraph {a}.{c}.", "qas": [
            {"id": f"q{a}.{c}.{q}", "question": f"who works for acme? ({q})", "answers": [{"text": "mary", "answer_start": 20}]}
            for q in range(questions)]} for c in range(contexts)]} for a in range(articles)]
    path.write_text(json.dumps({"version": "1.1", "data": data}), encoding="utf-8")
    return path


@pytest.mark.parametrize("articles, contexts, key", [(12, 2, "title"), (1, 30, "context")])
def test_a_carved_validation_split_never_shares_an_article_or_a_context_with_train(tmp_path, articles, contexts, key):
    from workbench.core.config import DataConfig
    from workbench.core.data import load_raw, prepare

    path = squad_articles(tmp_path / "train.json", articles, contexts, questions=3)
    raw = load_raw(str(path))["train"]
    article_of = {row["id"]: row["title"] for row in raw}
    data = prepare(DataConfig(source=str(path), validation_fraction=0.2), "qa")
    sides = {split: {article_of[row["id"]] if key == "title" else row["context"] for row in data.splits[split]}
             for split in ("train", "validation")}
    assert sides["train"] and sides["validation"] and not sides["train"] & sides["validation"]
    held = len(data.splits["validation"]) / len(raw)
    assert 0.2 <= held < 0.2 + (contexts * 3 if key == "title" else 3) / len(raw)  # whole groups, just past the share
