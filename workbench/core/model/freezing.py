"""The layer tree of a model and the freeze mask applied to it through `requires_grad`.

Nodes are modules, named by their dotted path in `model.named_modules()`; each parameter belongs
to the node of the module that owns it, so the counts add up to `sum(p.numel())` exactly (tied
parameters are counted once, as `model.parameters()` does). Nodes outside the backbone
(`model.base_model_prefix`) form the task head, which is never frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

from workbench.core.config import FreezeConfig
from workbench.core.errors import WorkbenchError


@dataclass
class LayerNode:
    path: str
    name: str
    own_params: int = 0
    is_head: bool = False
    children: list["LayerNode"] = field(default_factory=list)
    params: int = 0  # own plus all descendants, filled by build_layer_tree
    linear: tuple[int, int] | None = None  # (in_features, out_features) of an nn.Linear: what a LoRA adapter's size needs
    model_type: str = ""  # the root's: the model config's model_type (bert, distilbert, ...), which LoRA's default targets follow

    def walk(self) -> Iterator["LayerNode"]:
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, path: str) -> "LayerNode | None":
        return next((node for node in self.walk() if node.path == path), None)


def build_layer_tree(model) -> LayerNode:
    """The module hierarchy of `model`, keeping only modules that hold parameters."""
    from torch import nn

    head_prefix = model.base_model_prefix
    owner: dict[str, int] = {}
    for name, param in model.named_parameters():
        module_path = name.rpartition(".")[0]
        owner[module_path] = owner.get(module_path, 0) + param.numel()

    def build(path: str, module) -> LayerNode:
        label = path.rpartition(".")[2] or type(module).__name__
        is_head = bool(path) and not is_under(path, head_prefix)
        linear = (module.in_features, module.out_features) if isinstance(module, nn.Linear) else None
        node = LayerNode(path=path, name=label, own_params=owner.get(path, 0), is_head=is_head, linear=linear)
        for child_name, child in module.named_children():
            child_path = f"{path}.{child_name}" if path else child_name
            child_node = build(child_path, child)
            if child_node.params:
                node.children.append(child_node)
        node.params = node.own_params + sum(c.params for c in node.children)
        return node

    root = build("", model)
    root.model_type = getattr(getattr(model, "config", None), "model_type", "") or ""
    return root


def is_under(path: str, prefix: str) -> bool:
    """Whether the module or parameter `path` is `prefix` or lies inside it."""
    return path == prefix or path.startswith(prefix + ".")


def encoder_layers(tree: LayerNode) -> list[LayerNode]:
    """The repeated blocks of the encoder: the largest list of numbered siblings in the backbone."""
    best: list[LayerNode] = []
    for node in tree.walk():
        numbered = [c for c in node.children if c.name.isdigit()]
        if len(numbered) > len(best) and not node.is_head:
            best = numbered
    return best


def embeddings_node(tree: LayerNode) -> LayerNode | None:
    return next((n for n in tree.walk() if not n.is_head and n.name.startswith("embed")), None)


def backbone_node(tree: LayerNode) -> LayerNode:
    return next(c for c in tree.children if not c.is_head)


def preset_frozen(tree: LayerNode, preset: str) -> list[str]:
    """The frozen node paths of a freeze preset."""
    embeddings = embeddings_node(tree)
    if preset == "full":
        return []
    if preset == "head_only":
        return [backbone_node(tree).path]
    if preset == "embeddings":
        return [embeddings.path] if embeddings else []
    if preset == "lower_half":
        layers = encoder_layers(tree)
        return ([embeddings.path] if embeddings else []) + [n.path for n in layers[: len(layers) // 2]]
    raise WorkbenchError(f"freeze.preset '{preset}' is not a preset this model supports.")


def mask_paths(tree: LayerNode, freeze: FreezeConfig) -> list[str]:
    """The frozen node paths of a freeze config: its preset's, or its own list when custom."""
    return list(freeze.frozen) if freeze.preset == "custom" else preset_frozen(tree, freeze.preset)


def check_frozen(tree: LayerNode, frozen: Iterable[str]) -> None:
    for path in frozen:
        node = tree.find(path)
        if node is None:
            raise WorkbenchError(f"freeze.frozen names '{path}', which is not a module of this model.")
        if node.is_head or not path:
            raise WorkbenchError(f"freeze.frozen names '{path or 'the whole model'}', but the task head must stay trainable.")


def is_frozen(param_name: str, frozen: Iterable[str]) -> bool:
    return any(is_under(param_name, path) for path in frozen)


def apply_freeze(model, frozen: Iterable[str]) -> tuple[int, int]:
    """Set `requires_grad` from the mask; returns (trainable, total) parameter counts."""
    frozen = list(frozen)
    check_frozen(build_layer_tree(model), frozen)
    for name, param in model.named_parameters():
        param.requires_grad_(not is_frozen(name, frozen))
    return count_parameters(model)


def count_parameters(model) -> tuple[int, int]:
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def trainable_under(tree: LayerNode, frozen: Iterable[str]) -> int:
    """Trainable parameter count the mask leaves, computed on the tree alone (no model needed)."""
    frozen = list(frozen)

    def count(node: LayerNode) -> int:
        if any(is_under(node.path, path) for path in frozen if node.path):
            return 0
        return node.own_params + sum(count(c) for c in node.children)

    return count(tree)
