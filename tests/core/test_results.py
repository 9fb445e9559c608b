"""Results of a finished run: the files `train()` writes and the views the results page reads."""

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.tiny_models import tiny_run_config, write_ner_conll, write_sentiment_csv
from workbench.core.errors import WorkbenchError
from workbench.core.evaluation.results import SplitResults, available_splits, rows_path, summary_path
from workbench.core.events import MessageLogged, RunFinished
from workbench.core.tasks.spans import Span, tag_spans
from workbench.core.training.run import train

LONG_SENTENCE = "john visited paris and london and berlin and mary met smith at acme corp".split()


def _train(config):
    events = []
    result = train(config, events.append)
    assert isinstance(result, RunFinished), result
    return Path(result.run_dir), result.final_metrics, events


def _lines(run_dir, split):
    return [json.loads(line) for line in rows_path(run_dir, split).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def single_label_run(tmp_path_factory, tiny_backbone_dir):
    """A sentiment run on a folder with train.csv and test.csv (validation carved from train)."""
    folder = tmp_path_factory.mktemp("single-label")
    data = folder / "data"
    data.mkdir()
    write_sentiment_csv(data / "train.csv", rows=120)
    write_sentiment_csv(data / "test.csv", rows=30)
    config = tiny_run_config(folder, tiny_backbone_dir)
    config.data.source = str(data)
    return (config, *_train(config))


@pytest.fixture(scope="module")
def multi_label_run(tmp_path_factory, tiny_backbone_dir):
    folder = tmp_path_factory.mktemp("multi-label")
    rng = np.random.default_rng(0)
    lines = ["text,label"]
    for _ in range(120):
        good, funny = rng.random() < 0.5, rng.random() < 0.3
        text = f"the movie was {'good' if good else 'bad'} and {'happy' if funny else 'sad'}"
        lines.append(f"{text},{';'.join(name for name, on in (('good', good), ('funny', funny)) if on)}")
    (folder / "multi.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tiny_run_config(folder, tiny_backbone_dir)
    config.data.source = str(folder / "multi.csv")
    config.data.label_delimiter = ";"
    config.task.type = "multi_label"
    return _train(config)[:2]


@pytest.fixture(scope="module")
def token_run(tmp_path_factory, tiny_backbone_dir):
    """NER with max_length 8, so the words of long sentences past the sixth are cut off."""
    folder = tmp_path_factory.mktemp("token")
    conll = write_ner_conll(folder / "ner.conll")
    tags = ["B-PER", "O", "B-LOC", "O", "B-LOC", "O", "B-LOC", "O", "B-PER", "O", "B-PER", "O", "B-ORG", "I-ORG"]
    long = "".join(f"{word} {tag}\n" for word, tag in zip(LONG_SENTENCE, tags))
    conll.write_text(conll.read_text(encoding="utf-8") + ("\n" + long) * 10, encoding="utf-8")
    config = tiny_run_config(folder, tiny_backbone_dir)
    config.data.source = str(conll)
    config.task.type = "token"
    config.task.max_length = 8
    return _train(config)[:2]


def test_train_writes_results_for_validation_and_test(single_label_run):
    config, run_dir, final, events = single_label_run
    assert available_splits(run_dir) == ["validation", "test"]
    messages = [e.text for e in events if isinstance(e, MessageLogged)]
    assert f"Wrote results for validation and test to {run_dir / 'results'}." in messages
    assert not list((run_dir / "results").glob(".*"))  # no temporary files left
    for split in ("validation", "test"):
        results = SplitResults.load(run_dir, split)
        assert (results.split, results.task, results.label_names) == (split, "single_label", ["0", "1"])
        assert results.metrics.keys() == {"accuracy", "f1", "f1_macro", "f1_micro", "precision", "recall"}
        for name, value in results.metrics.items():
            assert value == pytest.approx(final[f"{split}_{name}"], abs=1e-6)


def test_results_hold_the_saved_models_probabilities_per_row(single_label_run):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from workbench.core.data import prepare
    from workbench.core.data.encoding import PaddingCollator, encode_splits
    from workbench.core.tasks import probabilities
    from workbench.core.tasks.batches import row_logits

    config, run_dir, _, _ = single_label_run
    data = prepare(config.data, "single_label")
    tokenizer = AutoTokenizer.from_pretrained(run_dir / "model")
    model = AutoModelForSequenceClassification.from_pretrained(run_dir / "model")
    encoded = encode_splits(data.splits, "single_label", tokenizer, config.task.max_length)["test"]
    logits = row_logits(model, encoded.to_list(), PaddingCollator(tokenizer, "single_label"))
    expected = probabilities(np.stack(logits), "single_label")
    lines = _lines(run_dir, "test")
    assert [line["text"] for line in lines] == data.splits["test"]["text"]
    assert [line["label"] for line in lines] == data.splits["test"]["labels"]
    np.testing.assert_allclose([line["probs"] for line in lines], expected, atol=2e-6)


def test_confusion_and_per_class_agree_with_scikit_learn(single_label_run):
    from sklearn.metrics import precision_recall_fscore_support

    _, run_dir, _, _ = single_label_run
    results = SplitResults.load(run_dir, "validation")
    gold = np.array([line["label"] for line in _lines(run_dir, "validation")])
    pred = results.predictions()
    counts = results.confusion()
    assert counts.sum() == results.rows == len(gold)
    assert counts.trace() / counts.sum() == pytest.approx(results.metrics["accuracy"])
    assert counts.tolist() == [[int(np.sum((gold == t) & (pred == p))) for p in range(2)] for t in range(2)]
    shares = results.confusion(normalize=True)
    np.testing.assert_allclose(shares.sum(axis=1), [1.0 if n else 0.0 for n in counts.sum(axis=1)])

    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=[0, 1], zero_division=0)
    reports = results.per_class()
    assert [c.name for c in reports] == ["0", "1"]
    np.testing.assert_allclose([[c.precision, c.recall, c.f1, c.support] for c in reports], np.stack([p, r, f, s]).T)


def test_misclassified_lists_exactly_the_rows_of_a_cell(single_label_run):
    _, run_dir, _, _ = single_label_run
    results = SplitResults.load(run_dir, "validation")
    lines = _lines(run_dir, "validation")
    gold, pred = np.array([line["label"] for line in lines]), results.predictions()
    wrong = results.misclassified()
    assert sorted(row.index for row in wrong) == np.flatnonzero(gold != pred).tolist()
    for true in range(2):
        for guess in range(2):
            rows = results.misclassified(true=true, pred=guess)
            assert sorted(row.index for row in rows) == np.flatnonzero((gold == true) & (pred == guess)).tolist()
            confidences = [row.confidence for row in rows]
            assert confidences == sorted(confidences, reverse=True)
            for row in rows:
                assert (row.true, row.pred, row.text) == (true, guess, lines[row.index]["text"])
                assert row.confidence == max(lines[row.index]["probs"])
    assert sorted(row.index for row in results.misclassified(true=1)) == np.flatnonzero((gold == 1) & (pred != 1)).tolist()


def test_missing_or_corrupt_results_name_the_file(single_label_run, tmp_path):
    _, run_dir, _, _ = single_label_run
    copy = tmp_path / "run"
    shutil.copytree(run_dir / "results", copy / "results")
    with pytest.raises(WorkbenchError, match="test.json is missing"):
        SplitResults.load(tmp_path / "elsewhere", "test")
    text = rows_path(copy, "test").read_text(encoding="utf-8")
    rows_path(copy, "test").write_text(text[: len(text) // 2], encoding="utf-8")  # a torn write
    with pytest.raises(WorkbenchError, match=r"test\.jsonl is not a readable results file"):
        SplitResults.load(copy, "test")
    summary_path(copy, "validation").write_text("{", encoding="utf-8")
    with pytest.raises(WorkbenchError, match=r"validation\.json is not a readable results file"):
        SplitResults.load(copy, "validation")
    assert available_splits(tmp_path / "elsewhere") == []


def test_multi_label_threshold_report(multi_label_run):
    from sklearn.metrics import f1_score

    run_dir, final = multi_label_run
    assert available_splits(run_dir) == ["validation"]
    results = SplitResults.load(run_dir, "validation")
    assert results.label_names == ["funny", "good"]
    for name, value in results.metrics.items():
        assert value == pytest.approx(final[f"validation_{name}"], abs=1e-6)
    at_half = results.at_threshold(0.5)
    assert at_half.micro_f1 == pytest.approx(results.metrics["f1_micro"], abs=1e-6)
    assert at_half.macro_f1 == pytest.approx(results.metrics["f1_macro"], abs=1e-6)

    lines = _lines(run_dir, "validation")
    gold = np.array([[i in line["labels"] for i in range(2)] for line in lines])
    probs = np.array([line["probs"] for line in lines])
    for threshold in (0.0, 0.3, 0.7, 1.0):
        report = results.at_threshold(threshold)
        expected = f1_score(gold, probs >= threshold, average=None, zero_division=0)
        np.testing.assert_allclose([label.f1 for label in report.per_label], expected)
        assert [label.support for label in report.per_label] == gold.sum(axis=0).tolist()
    assert all(label.recall == 1.0 for label in results.at_threshold(0.0).per_label if label.support)


def test_tag_spans_read_iob2_like_seqeval():
    from seqeval.metrics.sequence_labeling import get_entities

    cases = {
        ("B-PER", "I-PER", "O", "B-LOC"): [Span(0, 2, "PER"), Span(3, 4, "LOC")],
        ("O", "I-PER", "I-PER", "O"): [Span(1, 3, "PER")],  # an I- after O starts a span
        ("B-PER", "I-LOC", "I-LOC"): [Span(0, 1, "PER"), Span(1, 3, "LOC")],  # a type change starts another
        ("B-ORG", "B-ORG", "I-ORG"): [Span(0, 1, "ORG"), Span(1, 3, "ORG")],
        ("I-PER",): [Span(0, 1, "PER")],
        ("O", "O"): [],
        (): [],
        ("B-PER", "E-PER", "S-LOC", "I-LOC"): [Span(0, 2, "PER"), Span(2, 3, "LOC"), Span(3, 4, "LOC")],  # IOBES
    }
    for tags, spans in cases.items():
        assert tag_spans(tags) == spans, tags
        assert tag_spans(list(tags)) == [Span(s, e + 1, t) for t, s, e in get_entities(list(tags))], tags


def test_token_results_are_per_word_with_cut_off_words_unpredicted(token_run):
    from workbench.core.data import prepare
    from workbench.core.training.run import run_config

    run_dir, final = token_run
    results = SplitResults.load(run_dir, "validation")
    for name, value in results.metrics.items():
        assert value == pytest.approx(final[f"validation_{name}"], abs=1e-6)
    data = prepare(run_config(run_dir).data, "token")
    lines = _lines(run_dir, "validation")
    assert [line["tokens"] for line in lines] == data.splits["validation"]["tokens"]
    assert [line["gold"] for line in lines] == data.splits["validation"]["labels"]
    assert any(line["tokens"] == LONG_SENTENCE for line in lines)
    for line in lines:
        kept = min(len(line["tokens"]), 8 - 2)  # every word is one sub-token; [CLS] and [SEP] take two places
        assert all(0 <= p < len(results.label_names) for p in line["pred"][:kept])
        assert line["pred"][kept:] == [-1] * (len(line["tokens"]) - kept)
        assert line["confidence"][kept:] == [0.0] * (len(line["tokens"]) - kept)
        assert all(c >= 1 / len(results.label_names) - 1e-6 for c in line["confidence"][:kept])


def test_entity_report_and_error_sentences(token_run):
    from seqeval.metrics import classification_report

    run_dir, _ = token_run
    results = SplitResults.load(run_dir, "validation")
    names = results.label_names
    lines = _lines(run_dir, "validation")
    gold = [[names[i] for i in line["gold"]] for line in lines]
    pred = [[names[i] if i >= 0 else "O" for i in line["pred"]] for line in lines]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = classification_report(gold, pred, output_dict=True, zero_division=0)
    report = results.entity_report()
    assert [r.name for r in report] == ["LOC", "ORG", "PER"]
    for r in report:
        want = expected[r.name]
        assert (r.precision, r.recall, r.f1, r.support) == pytest.approx(
            (want["precision"], want["recall"], want["f1-score"], want["support"]))

    errors = results.error_sentences()
    assert [e.index for e in errors] == [i for i in range(len(lines)) if gold[i] != pred[i]]
    assert errors  # the long sentences lose their cut-off entities at least
    for e in errors:
        assert e.tokens == lines[e.index]["tokens"]
        assert (e.gold_spans, e.pred_spans) == (tag_spans(gold[e.index]), tag_spans(pred[e.index]))


def test_a_word_without_sub_tokens_is_left_unpredicted(token_run, tmp_path):
    import datasets
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from workbench.core.data.encoding import encode_splits
    from workbench.core.evaluation.results import write_results

    run_dir, _ = token_run
    names = SplitResults.load(run_dir, "validation").label_names
    tokenizer = AutoTokenizer.from_pretrained(run_dir / "model")
    model = AutoModelForTokenClassification.from_pretrained(run_dir / "model")
    tags = ["B-PER", "O", "O", "B-LOC"]
    words = ["john", "\u200b", "visited", "paris"]  # the zero-width space has no sub-token
    raw = datasets.Dataset.from_dict({"tokens": [words], "labels": [[names.index(t) for t in tags]]})
    encoded = encode_splits(datasets.DatasetDict({"validation": raw}), "token", tokenizer, 16)["validation"]
    write_results(tmp_path, "token", names, "validation", raw, encoded, model, tokenizer)
    [line] = _lines(tmp_path, "validation")
    assert line["pred"][1] == -1 and line["confidence"][1] == 0.0
    assert all(p >= 0 for i, p in enumerate(line["pred"]) if i != 1)
