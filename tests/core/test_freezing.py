import pytest

from workbench.core.config import BackboneConfig, TaskConfig
from workbench.core.errors import WorkbenchError
from workbench.core.model.freezing import (
    apply_freeze,
    build_layer_tree,
    encoder_layers,
    preset_frozen,
    trainable_under,
)
from workbench.core.model.heads import load_model


@pytest.fixture(params=["single_label", "token"])
def model(request, tiny_backbone_dir):
    return load_model(BackboneConfig(name=str(tiny_backbone_dir)), TaskConfig(type=request.param), ["O", "B-X", "I-X"])


def test_tree_counts_equal_the_model(model):
    tree = build_layer_tree(model)
    assert tree.params == sum(p.numel() for p in model.parameters())
    for node in tree.walk():
        assert node.params == node.own_params + sum(c.params for c in node.children)
    head = [n for n in tree.children if n.is_head]
    assert [n.path for n in head] == ["classifier"]
    assert [n.path for n in encoder_layers(tree)] == ["bert.encoder.layer.0", "bert.encoder.layer.1"]


@pytest.mark.parametrize("preset", ["full", "head_only", "embeddings", "lower_half"])
def test_presets_count_exactly(model, preset):
    tree = build_layer_tree(model)
    frozen = preset_frozen(tree, preset)
    trainable, total = apply_freeze(model, frozen)
    assert total == sum(p.numel() for p in model.parameters())
    assert trainable == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == trainable_under(tree, frozen)
    head = sum(p.numel() for n, p in model.named_parameters() if n.startswith("classifier"))
    expected = {
        "full": total,
        "head_only": head,
        "embeddings": total - tree.find("bert.embeddings").params,
        "lower_half": total - tree.find("bert.embeddings").params - tree.find("bert.encoder.layer.0").params,
    }[preset]
    assert trainable == expected


def test_head_cannot_be_frozen(model):
    with pytest.raises(WorkbenchError, match="task head must stay trainable"):
        apply_freeze(model, ["classifier"])
    with pytest.raises(WorkbenchError, match="not a module of this model"):
        apply_freeze(model, ["bert.decoder"])


def test_custom_mask_freezes_exactly_its_nodes(model):
    trainable, total = apply_freeze(model, ["bert.encoder.layer.1.attention"])
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert frozen and all(n.startswith("bert.encoder.layer.1.attention.") for n in frozen)
    assert total - trainable == sum(p.numel() for n, p in model.named_parameters() if n in frozen)
