import pytest

from workbench.core.config import BackboneConfig, TaskConfig
from workbench.core.model.freeze_estimate import estimate_savings
from workbench.core.model.freezing import (
    LayerNode,
    apply_freeze,
    build_layer_tree,
    preset_frozen,
)
from workbench.core.model.heads import load_model


def node(path: str, own: int = 0, children: tuple[LayerNode, ...] = (), head: bool = False) -> LayerNode:
    name = path.rpartition(".")[2] or "Model"
    return LayerNode(path, name, own, head, list(children), own + sum(c.params for c in children))


@pytest.fixture
def tree() -> LayerNode:
    """Embeddings of 100 parameters, four layers of 10, a pooler of 4 and a head of 2 (146 in all)."""
    layers = tuple(node(f"bert.encoder.layer.{i}", 10) for i in range(4))
    bert = node("bert", 0, (
        node("bert.embeddings", 0, (node("bert.embeddings.word_embeddings", 100),)),
        node("bert.encoder", 0, (node("bert.encoder.layer", 0, layers),)),
        node("bert.pooler", 4),
    ))
    return node("", 0, (bert, node("classifier", 2, head=True)))


# Full fine-tune backward work: weight gradients 46 (embedding lookups weigh nothing) plus input
# gradients above the embeddings 46, so 92 units.
@pytest.mark.parametrize("frozen, trainable, saved", [
    ([], 146, 0),
    (["bert"], 2, 90),  # only the head's weight gradient is left
    (["bert.embeddings"], 46, 10),  # layer 0 no longer passes a gradient down
    (["bert.embeddings", "bert.encoder.layer.0", "bert.encoder.layer.1"], 26, 50),  # 20 weight + 30 input gradients
    (["bert.encoder.layer.2"], 136, 10),  # frozen above a trainable layer: only its weight gradient is saved
])
def test_estimate_by_hand(tree, frozen, trainable, saved):
    estimate = estimate_savings(tree, frozen)
    assert estimate.parameters == 146
    assert estimate.trainable == trainable
    assert estimate.frozen_share == pytest.approx(1 - trainable / 146)
    assert estimate.backward_saved == pytest.approx(saved / 92)


@pytest.mark.parametrize("task", ["single_label", "token"])
def test_presets_on_a_real_model_save_more_as_they_freeze_more(tiny_backbone_dir, task):
    model = load_model(BackboneConfig(name=str(tiny_backbone_dir)), TaskConfig(type=task), ["O", "B-X", "I-X"])
    tree = build_layer_tree(model)
    saved = []
    for preset in ("full", "embeddings", "lower_half", "head_only"):
        frozen = preset_frozen(tree, preset)
        estimate = estimate_savings(tree, frozen)
        trainable, total = apply_freeze(model, frozen)
        assert (estimate.trainable, estimate.parameters) == (trainable, total)
        saved.append(estimate.backward_saved)
    assert saved[0] == 0
    assert saved == sorted(saved) and len(set(saved)) == 4
    assert saved[-1] > 0.95
