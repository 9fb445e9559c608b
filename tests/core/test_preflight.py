import math

import pytest

from workbench.core.config import DataConfig
from workbench.core.data.preflight import (
    PreflightReport,
    class_weight_suggestion,
    duplicate_count,
    entity_counts,
    imbalance,
    invalid_bio,
    preflight_warnings,
    windows_suggestion,
    run_preflight,
)

TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG"]


def test_imbalance_above_five_to_one():
    found = imbalance({"billing": 600, "security": 100, "other": 300})
    assert (found.largest, found.smallest, found.ratio) == ("billing", "security", 6.0)
    assert imbalance({"a": 500, "b": 100}) is None  # exactly 5 is not more than 5
    assert imbalance({"a": 10}) is None


def test_entities_are_counted_by_type():
    tags = {"O": 900, "B-PER": 50, "I-PER": 40, "B-LOC": 8, "I-LOC": 30}
    assert entity_counts(tags) == {"PER": 50, "LOC": 8}  # entity starts, not every tag
    assert entity_counts({"O": 9, "I-PER": 4, "I-LOC": 2}) == {"PER": 4, "LOC": 2}  # IO tags: no B- to count


def test_duplicates_between_train_and_validation():
    train = ["Refund please", "the app crashes", "login fails"]
    validation = ["  refund PLEASE ", "new text", "login fails", "login fails"]
    assert duplicate_count(train, validation) == 3
    assert duplicate_count(train, ["nothing in common"]) == 0


@pytest.mark.parametrize("rows, bad", [
    ([[1, 2, 2, 0], [3, 4]], []),  # B-PER I-PER I-PER O, B-ORG I-ORG
    ([[2, 0]], [0]),  # a sentence starting with I-PER
    ([[0, 4], [1, 2], [1, 4]], [0, 2]),  # I-ORG after O; I-ORG after B-PER
    ([[1], [2]], [1]),  # the previous sentence's tag does not carry over
    ([], []),
])
def test_invalid_bio(rows, bad):
    assert invalid_bio(rows, TAGS) == bad


def test_run_preflight_on_a_csv(tmp_path, tiny_backbone_dir, sentiment_csv):
    lines = sentiment_csv.read_text().splitlines()
    rare = [f"the plot was so sad {i},2" for i in range(10)]  # label 2: 10 rows against 60 of 0 and 1
    sentiment_csv.write_text("\n".join(lines + rare) + "\n")
    report = run_preflight(DataConfig(source=str(sentiment_csv)), "single_label", str(tiny_backbone_dir))
    assert sum(report.split_counts.values()) == 130
    assert report.label_counts["train"]["2"] == 9  # stratified: one of the ten goes to validation
    assert 0 < report.duplicates <= report.split_counts["validation"]  # the generator repeats sentences
    lengths = report.lengths.per_split["train"]
    assert lengths["rows"] == report.split_counts["train"] and lengths["p50"] <= lengths["p95"] <= lengths["max"]

    warnings = preflight_warnings(report, None)
    imbalance_warning = next(w for w in warnings if w.startswith("Class imbalance: '"))
    assert "6.0 times" in imbalance_warning and imbalance_warning.endswith("class weights can help.")
    assert any("validation rows also appear in the training split" in w for w in warnings)
    assert not any("max_length" in w for w in warnings)  # the suggested length is at least the p95
    share = (report.lengths.lengths["train"] > 8).mean()
    assert 0 < share < 1
    assert f"{share:.1%} of training rows are longer than max_length 8" in " ".join(preflight_warnings(report, 8))


def test_run_preflight_flags_broken_bio(tmp_path, tiny_backbone_dir, ner_conll):
    ner_conll.write_text(ner_conll.read_text() + "acme I-ORG\ncorp I-ORG\n\n")
    config = DataConfig(source=str(ner_conll), text_column="tokens", label_column="tags")
    report = run_preflight(config, "token", str(tiny_backbone_dir))
    problems = report.invalid_bio
    assert sum(problem.rows for problem in problems.values()) == 1
    assert next(iter(problems.values())).example == "acme corp"
    warnings = preflight_warnings(report, None)
    assert not any(w.startswith("Class imbalance") for w in warnings)  # PER 2 : LOC 1 : ORG 1 entities
    assert any("I- tag that follows neither B- nor I-" in w for w in warnings)


def test_lengths_problem_keeps_the_rest(sentiment_csv, tmp_path):
    (tmp_path / "not-a-model").mkdir()
    report = run_preflight(DataConfig(source=str(sentiment_csv)), "single_label", str(tmp_path / "not-a-model"))
    assert report.lengths is None and "has no config.json" in report.lengths_problem
    assert report.split_counts["train"] > 0


def test_class_weights_are_suggested_above_three_to_one():
    def report(task, counts):
        return PreflightReport(task, {"train": sum(counts.values())}, {"train": counts}, duplicates=0)

    assert class_weight_suggestion(report("single_label", {"billing": 1200, "security": 399, "other": 800})) == (
        "'billing' has 1,200 training rows and 'security' only 399; weighing the loss by the training counts "
        "(task.class_weights) gives the rare classes more say.")
    assert class_weight_suggestion(report("single_label", {"a": 300, "b": 100})) is None  # exactly 3 is not more
    assert preflight_warnings(report("single_label", {"a": 400, "b": 100}), None) == []  # a suggestion, not a warning
    tags = {"O": 900, "B-PER": 40, "I-PER": 40, "B-LOC": 10, "I-LOC": 30}  # O is no class to compare: entities are
    assert class_weight_suggestion(report("token", tags)).startswith("'PER' has 40 entities and 'LOC' only 10;")
    assert class_weight_suggestion(report("token", {"O": 900, "B-PER": 30, "B-LOC": 10})) is None


def test_windows_are_suggested_when_truncation_cuts_off_much_of_many_texts(tmp_path, tiny_backbone_dir):
    from tests.tiny_models import write_long_reviews_csv

    report = run_preflight(DataConfig(source=str(write_long_reviews_csv(tmp_path / "long.csv"))), "single_label",
                           str(tiny_backbone_dir))
    lengths = report.lengths.lengths["train"]
    assert lengths.min() > 28  # every text is about 30 tokens
    suggestion = windows_suggestion(report, 16)
    assert suggestion.startswith("100% of training texts would lose more than a quarter of their tokens at max_length 16")
    assert "task.windows" in suggestion
    assert windows_suggestion(report, int(lengths.max())) is None
    assert windows_suggestion(report, math.ceil(lengths.max() * 0.75)) is None  # none loses more than a quarter
    assert any("will be cut short" in w for w in preflight_warnings(report, 16))
    assert not any("max_length" in w for w in preflight_warnings(report, 16, windows=True))


def test_qa_preflight_counts_answerable_questions_and_suggests_no_class_weights(tmp_path, tiny_backbone_dir):
    from tests.tiny_models import write_squad_json

    source = write_squad_json(tmp_path / "squad.json", paragraphs=20, unanswerable=True)
    report = run_preflight(DataConfig(source=str(source)), "qa", str(tiny_backbone_dir))
    counts = report.label_counts
    assert set(counts["train"]) == {"answerable", "unanswerable"}
    assert sum(split["answerable"] for split in counts.values()) == 40  # 20 paragraphs: 2 answerable, 1 not
    assert sum(split["unanswerable"] for split in counts.values()) == 20
    assert class_weight_suggestion(report) is None and windows_suggestion(report, 8) is None
    assert not any("max_length" in w for w in preflight_warnings(report, 8))  # contexts are read in windows
