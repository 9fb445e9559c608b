"""Layer-wise learning-rate decay: each node's rate multiplier and the optimizer's parameter groups.

With `decay` d and L encoder layers, layer i trains at d ** (L - 1 - i) times the base rate (the
top layer at 1.0), the embeddings one step below the lowest layer (d ** L), and the task head at
`head_multiplier`. Any other backbone module (BERT's pooler, which only the head reads) belongs to
the backbone's top and trains at 1.0.

The groups are the Trainer's own split (weight decay on weights, none on biases and LayerNorm),
once per multiplier, each with its own `lr`; the Trainer's LambdaLR scheduler scales every group's
initial rate by the same warmup/decay factor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workbench.core.model.freezing import LayerNode, embeddings_node, encoder_layers, is_under


@dataclass(frozen=True)
class LayerRates:
    """Rate multipliers by module path: every parameter under a path trains at its multiplier."""

    multipliers: dict[str, float]

    @property
    def uniform(self) -> bool:
        """Every parameter at the base rate (decay and head multiplier both off)."""
        return all(m == 1.0 for m in self.multipliers.values())

    def of(self, path: str) -> float:
        """The multiplier of a parameter or module path (1.0 outside the layers, embeddings and head)."""
        return next((m for root, m in self.multipliers.items() if is_under(path, root)), 1.0)


def layer_rates(tree: LayerNode, decay: float, head_multiplier: float) -> LayerRates:
    layers = encoder_layers(tree)
    multipliers = {node.path: decay ** (len(layers) - 1 - i) for i, node in enumerate(layers)}
    embeddings = embeddings_node(tree)
    if embeddings is not None:
        multipliers[embeddings.path] = decay ** len(layers)
    multipliers.update({node.path: head_multiplier for node in tree.children if node.is_head})
    return LayerRates(multipliers)


def node_ranges(tree: LayerNode, rates: LayerRates) -> dict[str, tuple[float, float]]:
    """For every node, the lowest and highest multiplier of the parameters under it."""
    ranges: dict[str, tuple[float, float]] = {}

    def visit(node: LayerNode) -> tuple[float, float] | None:
        found = [visit(child) for child in node.children]
        if node.own_params:
            own = rates.of(node.path)
            found.append((own, own))
        found = [r for r in found if r is not None]
        if not found:
            return None
        ranges[node.path] = (min(lo for lo, _ in found), max(hi for _, hi in found))
        return ranges[node.path]

    visit(tree)
    return ranges


def trainable_multipliers(model, rates: LayerRates) -> dict[str, float]:
    """Name -> multiplier of every parameter of `model` that requires a gradient now."""
    return {name: rates.of(name) for name, param in model.named_parameters() if param.requires_grad}


def optimizer_groups(named_parameters: Iterable[tuple[str, object]], held: dict[str, float],
                     decay_names: Iterable[str], weight_decay: float, base_lr: float) -> list[dict]:
    """Parameter groups for the optimizer: one per (multiplier, decayed or not), for the parameters
    named in `held` (name -> multiplier), in the model's order within each group.

    The groups at multiplier 1.0 come first, so `param_groups[0]` (whose rate the Trainer logs)
    is the top layer's; then the others from the highest multiplier down, decayed before not."""
    decay_names = set(decay_names)
    groups: dict[tuple[float, bool], list] = {}
    for name, param in named_parameters:
        if name in held:
            groups.setdefault((held[name], name in decay_names), []).append(param)
    order = sorted(groups, key=lambda key: (key[0] != 1.0, -key[0], not key[1]))
    return [{"params": groups[key], "weight_decay": weight_decay if key[1] else 0.0, "lr": base_lr * key[0]}
            for key in order]


def describe_rates(tree: LayerNode, rates: LayerRates) -> str:
    """One sentence: the multiplier of the head, the top and bottom layers and the embeddings."""
    layers = encoder_layers(tree)
    parts = [f"head x{rates.of(n.path):.3g}" for n in tree.children if n.is_head][:1]
    if layers:
        parts.append(f"top layer x{rates.of(layers[-1].path):.3g}")
        parts.append(f"lowest layer x{rates.of(layers[0].path):.3g}")
    embeddings = embeddings_node(tree)
    if embeddings is not None:
        parts.append(f"embeddings x{rates.of(embeddings.path):.3g}")
    return f"Learning rates: {', '.join(parts)} (training.layer_lr_decay, training.head_lr_multiplier)."
