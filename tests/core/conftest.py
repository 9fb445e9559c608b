import pytest

from tests.tiny_models import build_tiny_backbone, write_ner_conll, write_sentiment_csv
from workbench.core.config import RunConfig


@pytest.fixture(scope="session")
def tiny_backbone_dir(tmp_path_factory):
    return build_tiny_backbone(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture
def sentiment_csv(tmp_path):
    return write_sentiment_csv(tmp_path / "sentiment.csv")


@pytest.fixture
def ner_conll(tmp_path):
    return write_ner_conll(tmp_path / "ner.conll")


@pytest.fixture
def tiny_config(tmp_path, tiny_backbone_dir, sentiment_csv):
    """A run config that trains the tiny BERT for 12 steps, evaluating and saving every 6."""
    config = RunConfig()
    config.data.source = str(sentiment_csv)
    config.backbone.name = str(tiny_backbone_dir)
    config.task.max_length = 32
    config.training.batch_size = 8
    config.training.max_steps = 12
    config.training.eval_strategy = "steps"
    config.training.eval_steps = 6
    config.training.logging_steps = 2
    config.training.learning_rate = 1e-3
    config.training.precision = "fp32"
    config.output.runs_root = str(tmp_path / "runs")
    return config
