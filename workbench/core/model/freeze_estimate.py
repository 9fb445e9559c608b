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

from workbench.core.model.freezing import LayerNode, embeddings_node, encoder_layers, trainable_under

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
    trainable = trainable_under(tree, frozen)
    stages = _stages(tree, frozen)
    full = _backward_work([_Stage(stage.work, stage.work, True) for stage in stages])
    saved = 1 - _backward_work(stages) / full if full else 0.0
    return FreezeEstimate(tree.params, trainable, saved)


@dataclass(frozen=True)
class _Stage:
    work: int  # parameters that take part in matrix products
    trainable_work: int
    trains: bool  # holds any trainable parameter


def _stages(tree: LayerNode, frozen: list[str]) -> list[_Stage]:
    """Embeddings (no work), each encoder layer, then the rest of the model, bottom to top."""
    stages, work_left, trainable_left = [], tree.params, trainable_under(tree, frozen)
    embeddings = embeddings_node(tree)
    if embeddings is not None:
        trainable = trainable_under(embeddings, frozen)
        stages.append(_Stage(0, 0, trainable > 0))
        work_left, trainable_left = work_left - embeddings.params, trainable_left - trainable
    for layer in encoder_layers(tree):
        trainable = trainable_under(layer, frozen)
        stages.append(_Stage(layer.params, trainable, trainable > 0))
        work_left, trainable_left = work_left - layer.params, trainable_left - trainable
    return stages + [_Stage(work_left, trainable_left, trainable_left > 0)]


def _backward_work(stages: list[_Stage]) -> int:
    """Weight gradients of the trainable weights, plus input gradients above the lowest trainable stage."""
    lowest = next((i for i, stage in enumerate(stages) if stage.trains), len(stages))
    return sum(stage.trainable_work for stage in stages) + sum(stage.work for stage in stages[lowest + 1:])
