"""What a freeze mask saves: the share of parameters frozen and, roughly, the share of backward work.

The backward estimate sees the model as a stack of stages (embeddings, the encoder layers in order,
then everything else: pooler and head). In each stage the backward pass does two matrix products
per weight matrix, each costing about as much as the forward one:

- the gradient of the weights, skipped for frozen weights;
- the gradient passed down to the stage below, needed only above the lowest stage that has
  trainable weights (below it nothing needs a gradient, so the backward pass stops there).

So a frozen layer above a trainable one still costs half its backward work. Embedding tables are
lookups, not matrix products, and count as no work. Attention scores, activations and the
optimizer step are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workbench.core.freezing import LayerNode, embeddings_node, encoder_layers, trainable_under

BACKWARD_EXPLANATION = (
    "Rough estimate. Each weight costs two matrix products in the backward pass: its own gradient "
    "(skipped when frozen) and the gradient passed to the layer below (skipped below the lowest "
    "trainable layer, where the backward pass stops). Frozen layers above a trainable one still pass "
    "gradients down, so they save only half. Embedding lookups count as no work; attention scores, "
    "activations and the optimizer step are left out."
)


@dataclass(frozen=True)
class FreezeEstimate:
    parameters: int
    trainable: int
    backward_saved: float  # share of the full fine-tune's backward work that the mask skips

    @property
    def frozen_share(self) -> float:
        return 1 - self.trainable / self.parameters if self.parameters else 0.0


def estimate_savings(tree: LayerNode, frozen: Iterable[str]) -> FreezeEstimate:
    frozen = list(frozen)
    embeddings = embeddings_node(tree)
    layers = encoder_layers(tree)
    # (work, trainable work) per stage, bottom to top; embeddings weigh nothing.
    stages = [(float(layer.params), float(trainable_under(layer, frozen))) for layer in layers]
    rest = tree.params - sum(layer.params for layer in layers) - (embeddings.params if embeddings else 0)
    rest_trainable = trainable_under(tree, frozen) - sum(trainable_under(layer, frozen) for layer in layers)
    if embeddings is not None:
        rest_trainable -= trainable_under(embeddings, frozen)
        stages.insert(0, (0.0, float(trainable_under(embeddings, frozen) > 0)))
    stages.append((float(rest), float(rest_trainable)))
    total = trainable_under(tree, frozen)
    return FreezeEstimate(tree.params, total, 1 - _backward_work(stages) / _backward_work([(w, w or 1.0) for w, _ in stages]))


def _backward_work(stages: list[tuple[float, float]]) -> float:
    """Weight gradients of the trainable work, plus input gradients above the lowest trainable stage."""
    lowest = next((i for i, (_, trainable) in enumerate(stages) if trainable), len(stages))
    return sum(trainable for _, trainable in stages) + sum(work for work, _ in stages[lowest + 1:])
