"""Gradual unfreezing: layers join top-down on schedule, never past the mask, and a resume restores them."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.core.test_training import Recorder
from tests.tiny_models import build_tiny_backbone
from workbench.core.config import ConfigError, FreezeConfig, RunConfig
from workbench.core.training.control import RunControl
from workbench.core.events import (
    LayersUnfrozen, MessageLogged, ProgressReported, RunFailed, RunFinished, event_from_dict, event_to_dict,
)
from workbench.core.model.freezing import build_layer_tree
from workbench.core.model.heads import load_model
from workbench.core.runs import read_events
from workbench.core.training.run import train
from workbench.core.training.unfreezing import plan_unfreezing

LAYERS = ("bert.encoder.layer.1", "bert.encoder.layer.0", "bert.embeddings")


def tree_of(backbone: Path):
    config = RunConfig()
    config.backbone.name = str(backbone)
    return build_layer_tree(load_model(config.backbone, config.task, ["a", "b"]))


def checkpoint(result, step: int) -> dict[str, torch.Tensor]:
    return load_file(Path(result.run_dir) / "checkpoints" / f"checkpoint-{step}" / "model.safetensors")


def moved(weights: dict, initial: dict, prefix: str) -> bool:
    names = [n for n in weights if n.startswith(prefix)]
    assert names, prefix
    return any(not torch.equal(weights[n], initial[n]) for n in names)


def test_the_schedule_goes_top_down_then_the_embeddings_and_skips_what_the_mask_froze(tmp_path):
    tree = tree_of(build_tiny_backbone(tmp_path / "bert-3", layers=3))
    schedule = plan_unfreezing(tree, [], FreezeConfig(unfreeze_start_layers=1, unfreeze_every_steps=5))
    assert schedule.start == ("bert.encoder.layer.2",)
    assert schedule.order == ("bert.encoder.layer.1", "bert.encoder.layer.0", "bert.embeddings")
    assert [schedule.joined(step, 100) for step in (0, 4, 5, 9, 10, 15, 99)] == [0, 0, 1, 1, 2, 3, 3]
    assert schedule.labels() == {"bert.encoder.layer.2": "from the start", "bert.encoder.layer.1": "from step 5",
                                 "bert.encoder.layer.0": "from step 10", "bert.embeddings": "from step 15"}
    # a node the mask froze whole never joins; one it froze in part joins with the rest
    masked = plan_unfreezing(tree, ["bert.encoder.layer.0", "bert.encoder.layer.1.attention"],
                             FreezeConfig(unfreeze_start_layers=0))
    assert masked.order == ("bert.encoder.layer.2", "bert.encoder.layer.1", "bert.embeddings")
    assert [masked.joined(step, 7) for step in (6, 7, 14, 100)] == [0, 1, 2, 3]
    assert masked.labels()["bert.embeddings"] == "from epoch 4"
    assert plan_unfreezing(tree, [], FreezeConfig()) is None


def test_layers_join_every_two_steps_in_order(tiny_config, tiny_backbone_dir):
    tiny_config.freeze.unfreeze_start_layers = 0
    tiny_config.freeze.unfreeze_every_steps = 2
    tiny_config.training.max_steps = 8
    tiny_config.training.eval_steps = 4
    events = Recorder()
    result = train(tiny_config, events)
    assert isinstance(result, RunFinished), result
    joins = events.of(LayersUnfrozen)
    assert [(e.step, e.paths) for e in joins] == [(2, [LAYERS[0]]), (4, [LAYERS[1]]), (6, [LAYERS[2]])]
    counts = [e.trainable_params for e in joins]
    assert counts == sorted(counts) and counts[-1] == sum(p.numel() for p in load_file(
        Path(result.model_dir) / "model.safetensors").values())
    assert any(e.text.startswith("Gradual unfreezing: ") for e in events.of(MessageLogged))
    assert any(e.text == f"Step 2: {LAYERS[0]} joined; {counts[0]:,} parameters train." for e in events.of(MessageLogged))
    assert [event_from_dict(event_to_dict(e)) for e in joins] == joins
    assert [e for e in read_events(Path(result.run_dir)) if isinstance(e, LayersUnfrozen)] == joins

    initial = {f"bert.{k}": v for k, v in load_file(Path(tiny_backbone_dir) / "model.safetensors").items()}
    at_4 = checkpoint(result, 4)  # layer 1 trained steps 3 and 4; layer 0 and the embeddings were waiting
    assert moved(at_4, initial, "bert.encoder.layer.1.") and moved(at_4, initial, "bert.pooler.")
    assert not moved(at_4, initial, "bert.encoder.layer.0.") and not moved(at_4, initial, "bert.embeddings.")
    # every parameter is in the optimizer from the start, but AdamW keeps no moments for one without a gradient
    optimizer = torch.load(Path(result.run_dir) / "checkpoints" / "checkpoint-4" / "optimizer.pt", weights_only=True)
    assert sum(len(g["params"]) for g in optimizer["param_groups"]) == len(at_4)
    assert len(optimizer["state"]) == len([n for n in at_4 if n.startswith(("classifier.", "bert.pooler.", f"{LAYERS[0]}."))])
    at_8 = checkpoint(result, 8)  # the embeddings joined after step 6, with sparse rows, as a full fine-tune
    assert moved(at_8, initial, "bert.encoder.layer.0.") and moved(at_8, initial, "bert.embeddings.word_embeddings.")
    assert any("sparse gradients" in e.text for e in events.of(MessageLogged))


def test_a_node_the_mask_froze_never_joins(tiny_config, tiny_backbone_dir):
    tiny_config.freeze.preset = "custom"
    tiny_config.freeze.frozen = ["bert.encoder.layer.0"]
    tiny_config.freeze.unfreeze_start_layers = 0
    tiny_config.freeze.unfreeze_every_steps = 2
    tiny_config.training.max_steps = 6
    events = Recorder()
    result = train(tiny_config, events)
    assert [(e.step, e.paths) for e in events.of(LayersUnfrozen)] == [(2, [LAYERS[0]]), (4, [LAYERS[2]])]
    initial = {f"bert.{k}": v for k, v in load_file(Path(tiny_backbone_dir) / "model.safetensors").items()}
    final = checkpoint(result, 6)
    assert not moved(final, initial, "bert.encoder.layer.0.")
    assert moved(final, initial, "bert.embeddings.")


def test_a_layer_joins_at_each_epoch_start(tiny_config):
    tiny_config.data.max_train_rows = 32  # 4 steps an epoch at batch size 8
    tiny_config.freeze.unfreeze_start_layers = 1
    tiny_config.training.max_steps = 9
    events = Recorder()
    assert isinstance(train(tiny_config, events), RunFinished)
    assert [(e.step, e.paths) for e in events.of(LayersUnfrozen)] == [(4, [LAYERS[1]]), (8, [LAYERS[2]])]


def test_a_resumed_run_restores_the_trainable_layers_and_ends_where_an_uninterrupted_one_does(tiny_config):
    tiny_config.training.layer_lr_decay = 0.8  # and its optimizer groups, one per layer, load back
    tiny_config.freeze.unfreeze_start_layers = 0
    tiny_config.freeze.unfreeze_every_steps = 2
    tiny_config.training.max_steps = 8
    tiny_config.training.eval_steps = 4
    straight_events = Recorder()
    straight = train(tiny_config, straight_events)
    tiny_config.output.run_name = "resumed"
    control = RunControl()
    stopped = train(tiny_config, Recorder(lambda e: control.request_stop()
                                          if isinstance(e, ProgressReported) and e.step == 3 else None), control)
    assert stopped.stopped
    events = Recorder()
    resumed = train(tiny_config, events, resume_dir=stopped.run_dir)
    assert isinstance(resumed, RunFinished) and not resumed.stopped
    after_layer_1 = straight_events.of(LayersUnfrozen)[0].trainable_params
    assert any(e.text.startswith(f"Gradual unfreezing: {after_layer_1:,} parameters train at step 3; 2 more")
               for e in events.of(MessageLogged))
    assert [(e.step, e.paths) for e in events.of(LayersUnfrozen)] == [(4, [LAYERS[1]]), (6, [LAYERS[2]])]
    weights = [checkpoint(run, 8) for run in (straight, resumed)]
    for name in weights[0]:
        torch.testing.assert_close(weights[1][name], weights[0][name], msg=name)
    ends = [Path(run.run_dir) / "checkpoints" / "checkpoint-8" / "optimizer.pt" for run in (straight, resumed)]
    optimizers = [torch.load(end, weights_only=True) for end in ends]
    assert [g["initial_lr"] for g in optimizers[1]["param_groups"]] == [g["initial_lr"] for g in optimizers[0]["param_groups"]]
    assert optimizers[1]["state"].keys() == optimizers[0]["state"].keys()
    for index in optimizers[0]["state"]:
        torch.testing.assert_close(optimizers[1]["state"][index]["exp_avg_sq"], optimizers[0]["state"][index]["exp_avg_sq"])


def test_more_start_layers_than_the_model_has_is_one_sentence(tiny_config):
    tiny_config.freeze.unfreeze_start_layers = 3
    result = train(tiny_config)
    assert isinstance(result, RunFailed)
    assert result.message == "freeze.unfreeze_start_layers is 3, but this model has 2 encoder layers."


@pytest.mark.parametrize("freeze, sentence", [
    ({"unfreeze_start_layers": -1}, "freeze.unfreeze_start_layers must not be negative, not -1."),
    ({"unfreeze_start_layers": 0, "unfreeze_every_steps": 0}, "freeze.unfreeze_every_steps must be at least 1 when set, not 0."),
    ({"unfreeze_every_steps": 10}, "freeze.unfreeze_every_steps is set but freeze.unfreeze_start_layers is empty: "
                                   "set it (0 for the head alone) to turn gradual unfreezing on."),
])
def test_unfreezing_settings_out_of_range_are_one_sentence(freeze, sentence):
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_dict({"data": {"source": "x.csv"}, "freeze": freeze})
    assert caught.value.problems == [sentence]
