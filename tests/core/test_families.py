"""Every task trains on a tiny random model of each encoder family, fully and with LoRA on the family's
default targets, through `train()` with the CPU speed levers on (each applies or says it is off)."""

from pathlib import Path

import pytest
from safetensors.torch import load_file

from tests.tiny_models import FAMILIES, build_tiny_family, tiny_family_config, tiny_task_config
from workbench.core.config import TASKS, LoraConfig
from workbench.core.errors import WorkbenchError
from workbench.core.events import MessageLogged, RunFinished
from workbench.core.export.predict import Predictor
from workbench.core.model.backbones import load_tokenizer
from workbench.core.model.freezing import LayerNode, build_layer_tree
from workbench.core.model.lora import check_targets, default_target_names, head_nodes
from workbench.core.runs import read_events
from workbench.core.tasks import get_task
from workbench.core.training.run import train

STEPS = 4
FIRST_TOKEN_FAMILIES = ("bert", "roberta", "electra", "xlm-roberta")  # whose last layer can compute [CLS] alone
# the Linear modules LoRA adapts by default (peft's mapping, or the modules named like query and value)
DEFAULT_TARGETS = {"bert": ["query", "value"], "roberta": ["query", "value"], "electra": ["query", "value"],
                   "xlm-roberta": ["query", "value"], "distilbert": ["q_lin", "v_lin"],
                   "deberta-v2": ["query_proj", "value_proj"], "modernbert": ["Wqkv"]}
# the task each family's LoRA run trains: every head once (ModernBERT's QA head is a `classifier`, not `qa_outputs`)
LORA_TASKS = {"bert": "single_label", "roberta": "pair", "electra": "multi_label", "xlm-roberta": "token",
              "distilbert": "qa", "deberta-v2": "single_label", "modernbert": "qa"}


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
    cut = family in FIRST_TOKEN_FAMILIES and task in ("single_label", "pair", "multi_label")  # heads reading [CLS]
    last_layer = [text for text in logged if text.startswith("Last layer: ")]  # the lever says whether it applies
    assert len(last_layer) == 1 and last_layer[0].startswith(
        "Last layer: computed for the first token only" if cut else "Last layer: computed for every token ("), last_layer
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


@pytest.mark.parametrize("family", FAMILIES)
def test_lora_with_the_default_targets_trains_on_every_family(tmp_path, family_dir, family):
    config = short_config(tmp_path, family_dir(family), LORA_TASKS[family])
    config.lora.enabled = True
    assert config.lora.target_modules == []  # the default: the architecture's own names
    result = train(config)
    assert isinstance(result, RunFinished), result
    targets = ", ".join(DEFAULT_TARGETS[family])
    assert any(f"LoRA targets: {targets} (" in text for text in messages(result.run_dir)), messages(result.run_dir)
    adapter = load_file(Path(result.run_dir) / "adapter" / "adapter_model.safetensors")
    assert any("lora_B" in key for key in adapter)
    tree = build_layer_tree(get_task(config.task.type).auto_class().from_pretrained(result.model_dir))
    for node in head_nodes(tree):  # the head trained beside the adapters, and is saved with them
        assert any(key.startswith(f"base_model.model.{node.path}.") for key in adapter), (node.path, sorted(adapter))


def meta_tree(family: str, task: str = "single_label"):
    """The layer tree of a tiny `family` model with `task`'s head, built weightless."""
    import torch

    with torch.device("meta"):
        model = get_task(task).auto_class().from_config(tiny_family_config(family, vocab_size=60))
    return build_layer_tree(model)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_default_targets_are_the_architectures_own(family):
    names, why = default_target_names(meta_tree(family))
    assert names == DEFAULT_TARGETS[family]
    listed = family not in ("distilbert", "modernbert")  # peft's mapping leaves these two out
    assert why == (f"peft's defaults for {family}" if listed else
                   f"{family}'s Linear modules {'named like query and value' if family == 'distilbert' else 'fusing query, key and value'}")


def test_an_architecture_peft_does_not_list_gets_its_query_and_value_modules_or_one_sentence():
    tree = meta_tree("bert")
    tree.model_type = "newbert"
    assert default_target_names(tree) == (["query", "value"], "newbert's Linear modules named like query and value")

    dense = LayerNode("encoder.dense", "dense", 12, linear=(3, 3), params=12)
    tree = LayerNode("", "NewModel", children=[LayerNode("encoder", "encoder", children=[dense], params=12)], params=12,
                     model_type="newbert")
    with pytest.raises(WorkbenchError) as refused:
        check_targets(tree, [], LoraConfig(enabled=True))
    assert str(refused.value) == (
        "lora.target_modules is empty, which means this architecture's own targets, but peft has no defaults for "
        "newbert and none of its Linear modules is named like query and value; name the Linear modules to adapt in "
        "lora.target_modules (this backbone's are dense).")
    assert [node.path for node in check_targets(tree, [], LoraConfig(enabled=True, target_modules=["dense"]))] == [
        "encoder.dense"]


def test_named_targets_are_kept_as_they_are():
    """A saved config that names its targets adapts those, on any family, and is refused where they are not."""
    tree = meta_tree("deberta-v2")
    adapted = check_targets(tree, [], LoraConfig(enabled=True, target_modules=["key_proj"]))
    assert {node.name for node in adapted} == {"key_proj"}
    with pytest.raises(WorkbenchError) as refused:
        check_targets(meta_tree("distilbert"), [], LoraConfig(enabled=True, target_modules=["query", "value"]))
    assert str(refused.value) == ("lora.target_modules names query, value, which is no Linear module of this backbone; "
                                  "its Linear modules are k_lin, lin1, lin2, out_lin, q_lin, v_lin; leave the list "
                                  "empty for this architecture's own (q_lin, v_lin).")
