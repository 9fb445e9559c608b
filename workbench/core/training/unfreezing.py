"""Gradual unfreezing: the head (and the top k encoder layers) train first, the other layers join
one at a time, top-down and then the embeddings, every N optimizer steps or at each epoch start.

Which nodes train is a pure function of the optimizer step, so a resumed run restores the set of a
checkpoint from `state.global_step`. The freeze mask is the floor: a node it freezes entirely never
joins, and a joining node brings only the parameters the mask leaves trainable. The optimizer
holds every parameter the mask leaves trainable from the start (training.py); AdamW skips those
without a gradient, so a waiting layer has no moments and no weight decay until it joins.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.config import FreezeConfig
from workbench.core.errors import WorkbenchError
from workbench.core.model.freezing import (
    LayerNode, embeddings_node, encoder_layers, trainable_under,
)


@dataclass(frozen=True)
class UnfreezeSchedule:
    """`order`: the nodes that join, in turn; the n-th (from 1) joins after n * `every_steps`
    optimizer steps, or at the start of epoch n + 1 (counted from 1) when `every_steps` is None."""

    start: tuple[str, ...]  # encoder layers trainable from the start, besides the head
    order: tuple[str, ...]
    every_steps: int | None

    def joined(self, step: int, steps_per_epoch: int) -> int:
        """How many nodes of `order` train after `step` optimizer steps."""
        return min(step // (self.every_steps or steps_per_epoch), len(self.order))

    def waiting(self, step: int, steps_per_epoch: int) -> tuple[str, ...]:
        return self.order[self.joined(step, steps_per_epoch):]

    def labels(self) -> dict[str, str]:
        """When each node starts training, as the layer tree shows it."""
        out = {path: "from the start" for path in self.start}
        for n, path in enumerate(self.order, 1):
            out[path] = f"from step {n * self.every_steps}" if self.every_steps else f"from epoch {n + 1}"
        return out


def node_labels(tree: LayerNode, frozen: list[str], schedule: UnfreezeSchedule) -> dict[str, str]:
    """When each node of the tree starts training: its own or its layer's label, "frozen" where the
    mask froze it whole, "from the start" for the head and the rest; nodes holding layers that
    join at different times have none."""
    scheduled = schedule.labels()
    out: dict[str, str] = {}

    def visit(node: LayerNode, inherited: str | None) -> set[str]:
        label = scheduled.get(node.path, inherited)
        if not trainable_under(node, frozen):
            label = "frozen"
        below = set().union(*(visit(child, label) for child in node.children)) if node.children else set()
        if label is None and len(below) > 1:
            return below
        out[node.path] = label or next(iter(below), "from the start")
        return {out[node.path]}

    visit(tree, None)
    return out


def plan_unfreezing(tree: LayerNode, frozen: list[str], freeze: FreezeConfig) -> UnfreezeSchedule | None:
    """The schedule of `freeze` over a model's tree with the mask `frozen`; None when it is off."""
    if freeze.unfreeze_start_layers is None:
        return None
    layers = encoder_layers(tree)
    k = freeze.unfreeze_start_layers
    if k > len(layers):
        raise WorkbenchError(f"freeze.unfreeze_start_layers is {k}, but this model has {len(layers)} encoder layers.")
    embeddings = embeddings_node(tree)
    later = list(reversed(layers[: len(layers) - k])) + ([embeddings] if embeddings is not None else [])
    joining = [node for node in later if trainable_under(node, frozen)]
    return UnfreezeSchedule(tuple(n.path for n in layers[len(layers) - k:]), tuple(n.path for n in joining),
                            freeze.unfreeze_every_steps)
