"""LoRA adapters through peft: which Linear modules get one, wrapping a model, and merging it back.

The freeze mask decides where adapters go: a backbone `nn.Linear` whose last name is one of
`lora.target_modules` gets one unless it lies under a frozen node. Every base weight is frozen; the
adapters and the task head (peft's `modules_to_save`, a trainable copy) train. A run saves the
adapters merged into a plain transformers model (`merged_model`), and the adapter alone beside it.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable

from workbench.core.config import LoraConfig
from workbench.core.errors import WorkbenchError
from workbench.core.model.freezing import LayerNode, is_frozen
from workbench.core.tasks import Task, get_task

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")  # what PeftModel.from_pretrained reads
PEFT_HEADS = ("classifier", "score", "qa_outputs")  # the heads peft adds to modules_to_save itself (SEQ_CLS, TOKEN_CLS, QUESTION_ANS)


def adapter_targets(tree: LayerNode, frozen: Iterable[str], target_modules: Iterable[str]) -> list[LayerNode]:
    """The Linear modules that get adapters: in the backbone, named as a target, not under a frozen node."""
    frozen, names = list(frozen), set(target_modules)
    return [node for node in tree.walk() if node.linear is not None and not node.is_head
            and node.name in names and not is_frozen(node.path, frozen)]


def adapter_parameters(nodes: Iterable[LayerNode], rank: int) -> int:
    """The parameters of rank-`rank` adapters on `nodes`: A is rank x in, B is out x rank."""
    return sum(rank * (node.linear[0] + node.linear[1]) for node in nodes)


def head_nodes(tree: LayerNode) -> list[LayerNode]:
    """The task head's top-level modules (BERT's `classifier`): trained in full, never adapted."""
    return [node for node in tree.children if node.is_head]


def lora_trainable(tree: LayerNode, frozen: Iterable[str], lora: LoraConfig) -> int:
    """What trains with LoRA on, computed on the tree alone: the head plus the adapters."""
    adapters = adapter_parameters(adapter_targets(tree, frozen, lora.target_modules), lora.rank)
    return sum(node.params for node in head_nodes(tree)) + adapters


def check_targets(tree: LayerNode, frozen: Iterable[str], lora: LoraConfig) -> list[LayerNode]:
    """The adapted modules, or one sentence naming `lora.target_modules` when a target fits nothing."""
    linear = {node.name for node in tree.walk() if node.linear is not None and not node.is_head}
    missing = [name for name in lora.target_modules if name not in linear]
    if missing:
        raise WorkbenchError(f"lora.target_modules names {', '.join(missing)}, which is no Linear module of this "
                             f"backbone; its Linear modules are {', '.join(sorted(linear))}.")
    targets = adapter_targets(tree, frozen, lora.target_modules)
    if not targets:
        raise WorkbenchError("The freeze mask freezes every module lora.target_modules names, so LoRA has nothing "
                             "to adapt; unfreeze some encoder layers or turn lora.enabled off.")
    return targets


def wrap_with_lora(model, tree: LayerNode, targets: list[LayerNode], lora: LoraConfig, task: str | Task,
                   base_path: str) -> tuple[object, int, int]:
    """`model` (the tree's) as a peft model with adapters on `targets` (from `check_targets`); returns it
    with its (trainable, total) parameter counts.

    The total is the base model's plus the adapters' (peft's frozen original of the head is not counted
    twice). `base_path` goes into the adapter's config, for loading it onto the base model later."""
    import peft

    config = peft.LoraConfig(
        task_type=peft.TaskType[get_task(task).peft_task_type],
        r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
        target_modules=[node.path for node in targets],
        modules_to_save=[node.path for node in head_nodes(tree) if node.path not in PEFT_HEADS] or None,
        base_model_name_or_path=base_path,
    )
    with warnings.catch_warnings():  # peft asks transformers 5 the deprecated way; nothing for the user to do
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing", category=FutureWarning)
        wrapped = peft.get_peft_model(model, config)
    trainable = sum(p.numel() for p in wrapped.parameters() if p.requires_grad)
    return wrapped, trainable, tree.params + adapter_parameters(targets, lora.rank)


def merged_model(model):
    """A plain transformers model with the adapters merged in; `model` itself is left as it is."""
    return copy.deepcopy(model).merge_and_unload()
