"""Layer-wise learning-rate decay: the multipliers of a tiny BERT, and the Trainer's optimizer groups."""

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForSequenceClassification, Trainer, TrainingArguments

from tests.core.test_training import Recorder
from tests.tiny_models import build_tiny_backbone
from workbench.core.config import ConfigError, RunConfig
from workbench.core.events import MessageLogged, RunFinished
from workbench.core.model.freezing import apply_freeze, build_layer_tree
from workbench.core.training.layer_rates import layer_rates, node_ranges, trainable_multipliers
from workbench.core.training.run import train
from workbench.core.training.speed.sparse_embeddings import LazyAdamW
from workbench.core.training.trainer import trainer_class

BASE_LR = 1e-3


@pytest.fixture(scope="module")
def three_layers(tmp_path_factory) -> Path:
    return build_tiny_backbone(tmp_path_factory.mktemp("tiny-bert-3"), layers=3)


def tiny_model(folder: Path):
    torch.manual_seed(0)
    return AutoModelForSequenceClassification.from_pretrained(folder, num_labels=2)


def arguments(tmp_path: Path) -> TrainingArguments:
    return TrainingArguments(output_dir=str(tmp_path), learning_rate=BASE_LR, weight_decay=0.01, warmup_steps=2,
                             lr_scheduler_type="linear", use_cpu=True, report_to="none")


def group_of(optimizer, param) -> dict:
    return next(group for group in optimizer.param_groups if any(p is param for p in group["params"]))


def test_each_layer_is_one_decay_step_below_the_one_above(three_layers):
    tree = build_layer_tree(tiny_model(three_layers))
    rates = layer_rates(tree, 0.5, 10.0)
    expected = {
        "bert.encoder.layer.2": 1.0, "bert.encoder.layer.1": 0.5, "bert.encoder.layer.0": 0.25,
        "bert.embeddings": 0.125, "bert.pooler": 1.0, "classifier": 10.0,  # the pooler is the backbone's top
    }
    assert {path: rates.of(path) for path in expected} == expected
    assert rates.of("bert.encoder.layer.1.attention.self.query.weight") == 0.5
    assert rates.of("bert.embeddings.word_embeddings.weight") == 0.125
    ranges = node_ranges(tree, rates)
    assert ranges["bert.encoder"] == (0.25, 1.0)
    assert ranges["bert"] == (0.125, 1.0)
    assert ranges["bert.encoder.layer.0.attention"] == (0.25, 0.25)
    assert ranges[""] == (0.125, 10.0)
    assert not rates.uniform and layer_rates(tree, 1.0, 1.0).uniform


@pytest.mark.parametrize("sparse", [False, True])
def test_every_parameter_gets_its_layers_rate_and_the_trainers_weight_decay(three_layers, tmp_path, sparse):
    model = tiny_model(three_layers)
    rates = layer_rates(build_layer_tree(model), 0.5, 10.0)
    args = arguments(tmp_path)
    kwargs = {"optimizer_cls_and_kwargs": (LazyAdamW, Trainer.get_optimizer_cls_and_kwargs(args)[1])} if sparse else {}
    trainer = trainer_class()(model=model, args=args, held_parameters=trainable_multipliers(model, rates), **kwargs)
    optimizer = trainer.create_optimizer()
    assert type(optimizer) is (LazyAdamW if sparse else torch.optim.AdamW)
    decayed = set(trainer.get_decay_parameter_names(model))
    for name, param in model.named_parameters():
        group = group_of(optimizer, param)
        assert group["lr"] == pytest.approx(BASE_LR * rates.of(name)), name
        assert group["weight_decay"] == (0.01 if name in decayed else 0.0), name
    assert "bert.encoder.layer.0.output.LayerNorm.weight" not in decayed and "classifier.bias" not in decayed
    assert optimizer.param_groups[0]["lr"] == BASE_LR  # the rate the Trainer logs is the top layer's
    assert sum(len(g["params"]) for g in optimizer.param_groups) == len(list(model.parameters()))
    assert len(optimizer.param_groups) == 2 * 5  # head, top+pooler, two lower layers, embeddings; x decay or not


def test_defaults_keep_the_trainers_own_optimizer(tiny_backbone_dir, tmp_path):
    ours, stock = tiny_model(tiny_backbone_dir), tiny_model(tiny_backbone_dir)
    apply_freeze(ours, ["bert.embeddings"])
    apply_freeze(stock, ["bert.embeddings"])
    mine = trainer_class()(model=ours, args=arguments(tmp_path), held_parameters=None).create_optimizer()
    theirs = Trainer(model=stock, args=arguments(tmp_path)).create_optimizer()
    assert type(mine) is type(theirs)
    names = {id(p): n for n, p in ours.named_parameters()} | {id(p): n for n, p in stock.named_parameters()}
    for a, b in zip(mine.param_groups, theirs.param_groups, strict=True):
        assert [names[id(p)] for p in a["params"]] == [names[id(p)] for p in b["params"]]
        assert {k: v for k, v in a.items() if k != "params"} == {k: v for k, v in b.items() if k != "params"}


def test_the_scheduler_scales_every_groups_own_rate(three_layers, tmp_path):
    model = tiny_model(three_layers)
    rates = layer_rates(build_layer_tree(model), 0.8, 3.0)
    trainer = trainer_class()(model=model, args=arguments(tmp_path), held_parameters=trainable_multipliers(model, rates))
    trainer.create_optimizer_and_scheduler(num_training_steps=10)
    start = [group["lr"] for group in trainer.optimizer.param_groups]
    assert start == [0.0] * len(start)  # warmup from 0
    trainer.optimizer.step()
    trainer.lr_scheduler.step()
    for group in trainer.optimizer.param_groups:
        name = next(n for n, p in model.named_parameters() if p is group["params"][0])
        assert group["initial_lr"] == pytest.approx(BASE_LR * rates.of(name))
        assert group["lr"] == pytest.approx(group["initial_lr"] / 2)  # step 1 of 2 warmup steps


def test_a_run_with_decay_trains_its_layers_at_their_rates(tiny_config):
    tiny_config.training.layer_lr_decay = 0.5
    tiny_config.training.head_lr_multiplier = 2.0
    tiny_config.training.max_steps = 6
    events = Recorder()
    result = train(tiny_config, events)
    assert isinstance(result, RunFinished), result
    assert ("Learning rates: head x2, top layer x1, lowest layer x0.5, embeddings x0.25 "
            "(training.layer_lr_decay, training.head_lr_multiplier).") in [e.text for e in events.of(MessageLogged)]
    assert any("sparse gradients" in e.text for e in events.of(MessageLogged))
    saved = torch.load(Path(result.run_dir) / "checkpoints" / "checkpoint-6" / "optimizer.pt", weights_only=True)
    rates = sorted({round(group["initial_lr"] / 1e-3, 6) for group in saved["param_groups"]})
    assert rates == [0.25, 0.5, 1.0, 2.0]


@pytest.mark.parametrize("field, value, sentence", [
    ("layer_lr_decay", 1.5, "training.layer_lr_decay must be in (0, 1], not 1.5."),
    ("layer_lr_decay", 0, "training.layer_lr_decay must be in (0, 1], not 0."),
    ("head_lr_multiplier", -1, "training.head_lr_multiplier must be positive, not -1."),
])
def test_rate_settings_out_of_range_are_one_sentence(field, value, sentence):
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_dict({"data": {"source": "x.csv"}, "training": {field: value}})
    assert caught.value.problems == [sentence]
