import json

import pytest

from workbench.core.config import ConfigError, RunConfig, load_config
from workbench.core.errors import WorkbenchError


def test_round_trip_through_json(tmp_path):
    config = RunConfig()
    config.data.source = "data.csv"
    config.task.type = "multi_label"
    config.freeze.preset = "custom"
    config.freeze.frozen = ["bert.embeddings"]
    config.training.learning_rate = 3e-5
    path = tmp_path / "run.json"
    config.save(path)
    assert load_config(path) == config


def test_every_problem_is_one_sentence_naming_the_field():
    config = RunConfig()
    config.training.learning_rate = -1
    config.training.batch_size = 0
    config.task.type = "regression"
    problems = config.validate()
    assert len(problems) == 4  # source empty, lr, batch size, task type
    assert any(p.startswith("data.source") for p in problems)
    assert any("training.learning_rate" in p for p in problems)
    assert any("training.batch_size" in p for p in problems)
    assert any("task.type 'regression'" in p for p in problems)


def test_pair_task_needs_second_column():
    config = RunConfig()
    config.data.source = "x.csv"
    config.task.type = "pair"
    assert config.validate() == ["data.text_pair_column must name the second text column for a pair task."]


def test_unknown_and_mistyped_fields_are_reported(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"data": {"source": "x.csv", "colour": 1}, "training": {"epochs": "three"}, "extra": {}}))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    problems = info.value.problems
    assert "data.colour is not a setting of the run config." in problems
    assert "training.epochs must be a number, not 'three'." in problems
    assert "'extra' is not a section of the run config." in problems
    assert str(path) in str(info.value)


def test_unreadable_config_files(tmp_path):
    with pytest.raises(WorkbenchError, match="does not exist"):
        load_config(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(WorkbenchError, match="not valid JSON at line 1, column 2; check the brackets"):
        load_config(broken)
