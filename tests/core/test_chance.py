"""A run that ends near chance level, or whose validation predictions never use some classes, says
so, with the likely cause and the setting to change."""

from pathlib import Path

import pytest

from workbench.cli import main
from tests.tiny_models import write_three_class_csv
from workbench.core.config import RunConfig
from workbench.core.evaluation.chance import chance_warning, constant_guess_score, unused_classes_warning
from workbench.core.evaluation.results import SplitResults
from workbench.core.events import MessageLogged, RunFinished
from workbench.core.runs import list_runs, read_status
from workbench.core.tasks import get_task
from workbench.core.training.run import train


def test_the_constant_guess_scores_by_hand():
    # 6 classes, 'joy' the most common in training, 35 of 100 validation rows: F1 of joy 2*.35/1.35
    score, answer = constant_guess_score("single_label", {"joy": 50, "sadness": 30, "a": 5, "b": 5, "c": 5, "d": 5},
                                         {"joy": 35, "sadness": 40, "a": 10, "b": 5, "c": 5, "d": 5}, 100)
    assert score == pytest.approx(2 * 0.35 / 1.35 / 6) and answer == "always answering 'joy'"
    # multi-label: 30 positives over 50 rows x 2 labels; answering every label has micro-F1 2*.3/1.3
    assert constant_guess_score("multi_label", {}, {"plot": 20, "acting": 10}, 50)[0] == pytest.approx(0.6 / 1.3)
    assert constant_guess_score("token", {}, {}, 10) == (0.0, "tagging every token O")


@pytest.mark.parametrize("steps, rate, trainable, cause", [
    (32, 5e-5, 1.0, "32 optimizer steps are far too few, so set training.epochs higher"),
    (300, 1e-3, 1.0, "lower training.learning_rate to 1e-4"),
    (300, 1e-4, 0.01, "set freeze.preset to full"),
    (300, 1e-6, 1.0, "raise training.learning_rate to 1e-4"),
    (300, 1e-4, 1.0, "check that data.label_column ('label') holds the labels of data.text_column ('text')"),
])
def test_the_warning_names_the_likely_cause(steps, rate, trainable, cause):
    warning = chance_warning(RunConfig(), {"validation_f1_macro": 0.09}, (0.09, "always answering 'joy'"),
                             steps, rate, trainable)
    assert warning.startswith("Validation macro-F1 0.09 is close to what always answering 'joy' scores (0.09)")
    assert cause in warning and warning.endswith(".")


def test_a_run_that_learned_gets_no_warning():
    assert chance_warning(RunConfig(), {"validation_f1_macro": 0.86}, (0.09, "x"), 300, 1e-4, 1.0) is None
    # the margin: a tenth of the way from the guess (0.333) to a perfect score, 0.4
    assert chance_warning(RunConfig(), {"validation_f1_macro": 0.41}, (0.333, "x"), 300, 1e-4, 1.0) is None
    assert chance_warning(RunConfig(), {"validation_f1_macro": 0.39}, (0.333, "x"), 300, 1e-4, 1.0) is not None


def test_a_real_run_that_learns_nothing_says_so_everywhere(tiny_config, capsys):
    tiny_config.training.learning_rate = 1e-7  # four steps at a rate that moves nothing
    tiny_config.training.max_steps = 4
    tiny_config.training.eval_steps = 4
    events = []
    result = train(tiny_config, events.append)
    assert isinstance(result, RunFinished), result
    assert result.warning and "4 optimizer steps are far too few" in result.warning
    assert MessageLogged(result.warning, level="warning") in events
    assert read_status(Path(result.run_dir))["warning"] == result.warning
    assert list_runs(tiny_config.output.runs_root)[0].warning == result.warning
    assert main(["runs", "--runs-root", tiny_config.output.runs_root]) == 0
    assert f"Warning: {result.warning}" in capsys.readouterr().out


def test_a_real_run_that_learns_has_no_warning(tiny_config):
    tiny_config.training.max_steps = 100
    tiny_config.training.eval_steps = 50
    result = train(tiny_config)
    assert isinstance(result, RunFinished), result
    assert result.final_metrics["validation_f1_macro"] > 0.8 and result.warning is None
    assert result.class_warning is None and read_status(Path(result.run_dir))["class_warning"] is None


def config_of(task: str, **task_settings) -> RunConfig:
    config = RunConfig()
    config.task.type = task
    for name, value in task_settings.items():
        setattr(config.task, name, value)
    return config


def test_single_label_classes_are_the_most_probable_answers():
    names = ["negative", "positive", "neutral"]
    lines = [{"text": "a", "label": 0, "probs": [0.7, 0.2, 0.1]}, {"text": "b", "label": 1, "probs": [0.6, 0.3, 0.1]},
             {"text": "c", "label": 2, "probs": [0.5, 0.1, 0.4]}, {"text": "d", "label": 2, "probs": [0.2, 0.1, 0.7]}]
    use = get_task("single_label").class_use(lines, names)
    assert use == (names, ["negative", "neutral"])
    assert get_task("pair").class_use(lines, names) == use
    warning = unused_classes_warning(config_of("single_label"), use, 300, 1e-4, 1.0)
    assert warning == ("The model never predicts 1 of the 3 classes in the validation rows ('positive'), only "
                       "'negative', 'neutral'; the classes are likely imbalanced in training (too few of these beside "
                       "the common ones), so set task.class_weights to true to weigh the loss by the label counts.")
    # a class no validation row has is not asked for
    assert get_task("single_label").class_use(lines[:1] + lines[2:], names)[0] == ["negative", "neutral"]
    assert unused_classes_warning(config_of("single_label"), (["negative", "neutral"], ["negative", "neutral"]),
                                  300, 1e-4, 1.0) is None


@pytest.mark.parametrize("steps, rate, trainable, weights, cause", [
    (12, 1e-4, 1.0, False, "12 optimizer steps are far too few, so set training.epochs higher"),
    (300, 1e-7, 1.0, False, "the learning rate 1e-07 is likely too low, so raise training.learning_rate to 1e-4"),
    (300, 1e-3, 1.0, False, "lower training.learning_rate to 1e-4"),
    (300, 1e-4, 0.01, False, "set freeze.preset to full"),
    (300, 1e-4, 1.0, True, "add training examples of them"),
])
def test_the_unused_classes_sentence_names_the_setting_to_change(steps, rate, trainable, weights, cause):
    warning = unused_classes_warning(config_of("single_label", class_weights=weights), (["a", "b", "c"], ["a"]),
                                     steps, rate, trainable)
    assert warning.startswith("The model never predicts 2 of the 3 classes in the validation rows ('b', 'c'), only 'a'; ")
    assert cause in warning and warning.endswith(".") and warning.count(". ") == 0  # one sentence


def test_multi_label_labels_are_those_predicted_positive():
    names = ["plot", "acting", "music"]  # no validation row has music
    lines = [{"text": "a", "labels": [0, 1], "probs": [0.9, 0.2, 0.1]}, {"text": "b", "labels": [0], "probs": [0.8, 0.4, 0.3]},
             {"text": "c", "labels": [], "probs": [0.6, 0.49, 0.2]}]
    use = get_task("multi_label").class_use(lines, names)
    assert use == (["plot", "acting"], ["plot"])
    warning = unused_classes_warning(config_of("multi_label"), use, 300, 1e-4, 1.0)
    assert warning.startswith("The model never predicts 1 of the 2 labels in the validation rows ('acting'), only 'plot'; ")
    assert "task.class_weights" in warning
    lines[2]["probs"] = [0.1, 0.5, 0.0]  # at the threshold counts as predicted
    assert get_task("multi_label").class_use(lines, names) == (["plot", "acting"], ["plot", "acting"])


def test_token_entity_types_are_those_of_the_tags_spans():
    names = ["B-LOC", "B-PER", "I-PER", "O"]
    lines = [{"tokens": list("abcd"), "gold": [1, 2, 3, 0], "pred": [3, 3, 3, 0], "confidence": [1.0] * 4},
             {"tokens": list("ab"), "gold": [0, 3], "pred": [0, -1], "confidence": [1.0, 0.0]}]  # -1: no prediction, O
    use = get_task("token").class_use(lines, names)
    assert use == (["LOC", "PER"], ["LOC"])
    warning = unused_classes_warning(config_of("token"), use, 300, 1e-4, 1.0)
    assert warning.startswith("The model never predicts 1 of the 2 entity types in the validation rows ('PER'), only 'LOC'; ")
    lines[1]["pred"] = [3, 2]  # an I-PER alone is a PER span
    assert get_task("token").class_use(lines, names)[1] == ["LOC", "PER"]
    everything_o = unused_classes_warning(config_of("token"), (["LOC", "PER"], []), 300, 1e-4, 1.0)
    assert everything_o.startswith("The model never predicts 2 of the 2 entity types in the validation rows "
                                   "('LOC', 'PER'), no entity type at all; ")


def test_qa_has_no_classes_to_check():
    qa = get_task("qa")
    assert qa.class_words is None and all(get_task(name).class_words for name in ("single_label", "pair", "multi_label", "token"))
    assert unused_classes_warning(config_of("qa"), (["a", "b"], ["a"]), 300, 1e-4, 1.0) is None
    assert SplitResults("validation", "qa", [], {}, []).class_use() == ([], [])


def test_a_real_run_that_answers_one_class_names_the_others_everywhere(tiny_config, tmp_path, capsys):
    tiny_config.data.source = str(write_three_class_csv(tmp_path / "three.csv"))
    tiny_config.training.learning_rate = 1e-7  # four steps at a rate that moves nothing: one class for every row
    tiny_config.training.max_steps = tiny_config.training.eval_steps = 4
    events = []
    result = train(tiny_config, events.append)
    assert isinstance(result, RunFinished), result
    gold, predicted = SplitResults.load(result.run_dir, "validation").class_use()
    assert gold == ["negative", "neutral", "positive"] and len(predicted) == 1
    unused = [name for name in gold if name not in predicted]
    assert result.class_warning == (
        f"The model never predicts 2 of the 3 classes in the validation rows ('{unused[0]}', '{unused[1]}'), only "
        f"'{predicted[0]}'; 4 optimizer steps are far too few, so set training.epochs higher (or leave it empty to "
        "size the run to the data).")
    assert MessageLogged(result.class_warning, level="warning") in events
    assert result.warnings == [result.warning, result.class_warning]  # near chance too, said first
    assert read_status(Path(result.run_dir))["class_warning"] == result.class_warning
    assert list_runs(tiny_config.output.runs_root)[0].warnings == result.warnings
    assert main(["runs", "--runs-root", tiny_config.output.runs_root]) == 0
    out = capsys.readouterr().out
    assert f"  Warning: {result.warning}\n  Warning: {result.class_warning}\n" in out
    assert "best (validation)" in out.splitlines()[0] and f"{result.best_metric:.4f} f1 " in out.splitlines()[1]
