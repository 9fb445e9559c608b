"""A run that ends near chance level says so, with the likely cause and the setting to change."""

from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.config import RunConfig
from workbench.core.evaluation.chance import chance_warning, constant_guess_score
from workbench.core.events import MessageLogged, RunFinished
from workbench.core.runs import list_runs, read_status
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
