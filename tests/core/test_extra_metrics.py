import json
import time
from pathlib import Path

import numpy as np
import pytest

from tests.tiny_models import tiny_task_config
from workbench.core.errors import WorkbenchError
from workbench.core.evaluation.extra_metrics import extra_metric_values, load_extra_metric
from workbench.core.events import RunFailed, RunFinished
from workbench.core.runs import EVENTS_FILE
from workbench.core.training.run import train

MODULE = '''
import datasets
import evaluate


class MeanPrediction(evaluate.Metric):
    """The mean predicted id, the share of predictions equal to the reference, and a text to leave out."""

    def _info(self):
        return evaluate.MetricInfo(
            description="", citation="", inputs_description="",
            features=datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references):
        hits = sum(p == r for p, r in zip(predictions, references))
        return {"mean_prediction": sum(predictions) / len(predictions), "accuracy": hits / len(predictions), "note": "text"}
'''


@pytest.fixture
def mean_prediction(tmp_path) -> Path:
    """A local evaluate module: a folder holding a script named after it."""
    folder = tmp_path / "mean_prediction"
    folder.mkdir()
    (folder / "mean_prediction.py").write_text(MODULE, encoding="utf-8")
    return folder


def test_values_are_named_beside_the_built_in_ones(mean_prediction):
    extra = load_extra_metric(str(mean_prediction))
    preds, labels = np.array([1, 1, 0, 1]), np.array([1, 0, 0, 1])
    values = extra_metric_values([extra], "single_label", preds, labels, {"accuracy", "f1"})
    assert values == {"mean_prediction": 0.75, "mean_prediction_accuracy": 0.75}  # `accuracy` is taken; the text is left out

    # token tasks: the tags of labelled positions, flattened
    tags, gold = np.array([[2, 2, 1], [0, 1, 1]]), np.array([[2, -100, 0], [-100, 1, -100]])
    assert extra_metric_values([extra], "token", tags, gold, set()) == {"mean_prediction": 4 / 3, "accuracy": 2 / 3}


@pytest.mark.parametrize("task", ["single_label", "multi_label"])
def test_an_extra_metric_is_logged_at_each_evaluation(task, tmp_path, tiny_backbone_dir, mean_prediction):
    config = tiny_task_config(tmp_path, tiny_backbone_dir, task, max_steps=12)
    config.training.extra_metrics = [str(mean_prediction)]
    if task == "single_label":
        config.training.metric_for_best = "mean_prediction"  # an extra metric can pick the best checkpoint
    else:  # 0/1 rows: a module for lists of ids
        (mean_prediction / "mean_prediction.py").write_text(MODULE.replace(
            'datasets.Value("int64")', 'datasets.Sequence(datasets.Value("int64"))').replace(
            "sum(predictions) / len(predictions)", "sum(map(sum, predictions)) / len(predictions)"))
    result = train(config)
    assert isinstance(result, RunFinished), result

    lines = [json.loads(line) for line in (Path(result.run_dir) / EVENTS_FILE).read_text().splitlines()]
    evals = [line for line in lines if line["kind"] == "eval" and line["split"] == "validation"]
    assert [e["step"] for e in evals] == [6, 12]
    for e in evals:
        upper = 1 if task == "single_label" else 2  # ids 0/1, or up to two labels a row
        assert 0 <= e["metrics"]["mean_prediction"] <= upper
        assert {"f1", "accuracy", "loss", "mean_prediction_accuracy"} <= set(e["metrics"])
        assert "note" not in e["metrics"]
    if task == "single_label":
        assert result.metric_name == "mean_prediction"
        assert result.best_metric == max(e["metrics"]["mean_prediction"] for e in evals)


def test_an_unloadable_metric_fails_fast_before_any_run_folder(tiny_config, tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # the probe, not the setting, finds the Hub out of reach
    tiny_config.training.extra_metrics = ["mean_predictoin"]
    started = time.perf_counter()
    events = []
    result = train(tiny_config, events.append)
    assert time.perf_counter() - started < 10
    assert isinstance(result, RunFailed) and result.run_dir is None
    assert result.message.startswith("training.extra_metrics names 'mean_predictoin', which could not be loaded "
                                     "(offline or misspelt: the Hugging Face Hub cannot be reached: ")
    assert result.message.count(". ") == 0 and result.message.endswith(".")
    assert not (tmp_path / "runs").exists()
    assert [type(e) for e in events] == [RunFailed]  # before the data was even read


def test_a_folder_without_a_module_script(tmp_path):
    (tmp_path / "metric").mkdir()
    with pytest.raises(WorkbenchError) as raised:
        load_extra_metric(str(tmp_path / "metric"))
    assert str(raised.value) == (
        f"training.extra_metrics names '{tmp_path / 'metric'}', which could not be loaded (offline or misspelt: the "
        "folder holds no module script metric.py); name an evaluate module id, or a folder that holds one module "
        "script named after the folder."
    )


def test_a_module_that_fails_on_the_predictions_is_one_sentence(tmp_path, tiny_config, mean_prediction):
    (mean_prediction / "mean_prediction.py").write_text(MODULE.replace("hits = ", "raise ValueError('wants probabilities'); hits = "))
    tiny_config.training.extra_metrics = [str(mean_prediction)]
    result = train(tiny_config)
    assert isinstance(result, RunFailed)
    assert result.message == (f"training.extra_metrics names '{mean_prediction}', which failed on the single_label "
                              "predictions (ValueError: wants probabilities); check what its module expects as "
                              "predictions and references.")
    assert result.run_dir is not None and (Path(result.run_dir) / EVENTS_FILE).is_file()  # at its first evaluation


def test_an_empty_name_is_a_config_problem():
    from workbench.core.config import RunConfig

    config = RunConfig()
    config.data.source, config.training.extra_metrics = "data.csv", ["accuracy", " "]
    assert config.validate() == ["training.extra_metrics holds an empty name; list evaluate module ids or module folders."]
