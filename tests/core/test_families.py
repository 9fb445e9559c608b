"""Every task trains on a tiny random model of each encoder family through `train()`, with the CPU
speed levers on (each applies or says it is off)."""

from pathlib import Path

import pytest

from tests.tiny_models import FAMILIES, build_tiny_family, tiny_task_config
from workbench.core.config import TASKS
from workbench.core.events import MessageLogged, RunFinished
from workbench.core.export.predict import Predictor
from workbench.core.model.backbones import load_tokenizer
from workbench.core.runs import read_events
from workbench.core.training.run import train

STEPS = 4


@pytest.fixture(scope="module")
def family_dir(tmp_path_factory):
    built: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in built:
            built[family] = build_tiny_family(tmp_path_factory.mktemp(f"tiny-{family}"), family)
        return built[family]

    return get


def short_config(folder: Path, backbone: Path, task: str):
    config = tiny_task_config(folder, backbone, task, max_steps=STEPS)
    config.training.eval_steps = STEPS  # one evaluation and one checkpoint, at the end
    return config


def messages(run_dir: str) -> list[str]:
    return [e.text for e in read_events(Path(run_dir)) if isinstance(e, MessageLogged)]


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("family", FAMILIES)
def test_every_task_trains_on_every_family(tmp_path, family_dir, family, task):
    result = train(short_config(tmp_path, family_dir(family), task))
    assert isinstance(result, RunFinished), result
    logged = messages(result.run_dir)
    assert any(text.startswith("Last layer: ") for text in logged)  # the lever says whether it applies
    assert any(text.startswith("Word embeddings") for text in logged)
    assert (Path(result.model_dir) / "config.json").is_file()


def test_models_without_a_second_segment_get_no_segment_ids_and_their_saved_tokenizer_neither(tmp_path, family_dir):
    """The tiny models all borrow BERT's tokenizer, which gives segment id 1 to a pair's second text."""
    pair = ("the movie was good", "the plot was bad")
    assert "token_type_ids" in load_tokenizer(str(family_dir("bert")))(*pair)
    assert "token_type_ids" not in load_tokenizer(str(family_dir("roberta")))(*pair)  # one segment type only
    result = train(short_config(tmp_path, family_dir("roberta"), "pair"))
    assert isinstance(result, RunFinished), result
    predictor = Predictor.load(result.model_dir)
    assert "token_type_ids" not in predictor.tokenizer(*pair)
    assert len(predictor.predict([pair[0]], [pair[1]])) == 1
