"""LoRA adapters through peft: which Linear modules get one, wrapping a model, and merging it back.

The freeze mask decides where adapters go: a backbone `nn.Linear` whose last name is one of the
target names gets one unless it lies under a frozen node. The target names are `lora.target_modules`
or, when that list is empty, the architecture's own (`default_target_names`): peft's defaults for
its model type (query and value for BERT, RoBERTa, ELECTRA and XLM-R; query_proj and value_proj for
DeBERTa-v2 and v3), else the Linear modules named like query and value (DistilBERT's q_lin and
v_lin) or, failing those, a fused query-key-value one (ModernBERT's Wqkv). Every base weight is
frozen; the adapters and the task head (peft's `modules_to_save`, a trainable copy) train. A run
saves the adapters merged into a plain transformers model (`merged_model`), and the adapter alone
beside it.
"""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Iterable

from workbench.core.config import LoraConfig
from workbench.core.errors import WorkbenchError
from workbench.core.model.freezing import LayerNode, is_frozen
from workbench.core.tasks import Task, get_task

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")  # what PeftModel.from_pretrained reads
# the heads peft adds to modules_to_save itself, by peft task type (ModernBERT's QA head is a `classifier`,
# which peft's QUESTION_ANS model does not add, so it is named for peft like any other head module)
PEFT_HEADS = {"SEQ_CLS": ("classifier", "score"), "TOKEN_CLS": ("classifier", "score"), "QUESTION_ANS": ("qa_outputs",)}
# Linear modules named like an attention's query or value (q_lin, query_proj, ...), and fused ones (Wqkv, in_proj)
QUERY_OR_VALUE = re.compile(r"(q|v|query|value)(_?(proj|lin))?", re.IGNORECASE)
FUSED_QUERY_VALUE = re.compile(r"w?_?(qkv|query_key_value|in_proj)(_?proj)?", re.IGNORECASE)


def linear_names(tree: LayerNode) -> list[str]:
    """The names of the backbone's Linear modules (the head's are no targets), in the tree's order."""
    return list(dict.fromkeys(node.name for node in tree.walk() if node.linear is not None and not node.is_head))


def peft_default_targets(model_type: str) -> list[str]:
    """peft's default LoRA targets for a model type (its TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING);
    empty where peft lists none, or only a pattern. Imports peft (seconds, the first time)."""
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as MAPPING

    names = MAPPING.get(model_type)
    return list(names) if isinstance(names, (list, tuple)) else []


def default_target_names(tree: LayerNode) -> tuple[list[str], str]:
    """The architecture's own target names, with where they come from in words; no names when none fits.

    peft's defaults for the tree's model type where this backbone has them, else its Linear modules
    named like query and value, else a fused query-key-value module."""
    linear = linear_names(tree)
    kind = tree.model_type or "this architecture"
    mapped = [name for name in peft_default_targets(tree.model_type) if name in linear] if tree.model_type else []
    if mapped:
        return mapped, f"peft's defaults for {kind}"
    for pattern, what in ((QUERY_OR_VALUE, "named like query and value"), (FUSED_QUERY_VALUE, "fusing query, key and value")):
        names = [name for name in linear if pattern.fullmatch(name)]
        if names:
            return names, f"{kind}'s Linear modules {what}"
    return [], f"peft has no defaults for {kind}"


def target_names(tree: LayerNode, target_modules: Iterable[str]) -> tuple[list[str], str]:
    """The names adapters go on, and where they come from: `target_modules`, or the architecture's own when empty."""
    names = [name for name in target_modules]
    return (names, "lora.target_modules") if names else default_target_names(tree)


def adapter_targets(tree: LayerNode, frozen: Iterable[str], target_modules: Iterable[str]) -> list[LayerNode]:
    """The Linear modules that get adapters: in the backbone, named as a target (the architecture's own
    when `target_modules` is empty), not under a frozen node."""
    frozen, names = list(frozen), set(target_names(tree, target_modules)[0])
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
    linear = sorted(linear_names(tree))
    missing = [name for name in lora.target_modules if name not in linear]
    if missing:
        own, _ = default_target_names(tree)
        hint = f"; leave the list empty for this architecture's own ({', '.join(own)})" if own else ""
        raise WorkbenchError(f"lora.target_modules names {', '.join(missing)}, which is no Linear module of this "
                             f"backbone; its Linear modules are {', '.join(linear)}{hint}.")
    names, why = target_names(tree, lora.target_modules)
    if not names:
        raise WorkbenchError(f"lora.target_modules is empty, which means this architecture's own targets, but {why} "
                             f"and none of its Linear modules is named like query and value; name the Linear modules "
                             f"to adapt in lora.target_modules (this backbone's are {', '.join(linear)}).")
    targets = adapter_targets(tree, frozen, lora.target_modules)
    if not targets:
        named = "lora.target_modules names" if lora.target_modules else f"LoRA targets here ({', '.join(names)})"
        raise WorkbenchError(f"The freeze mask freezes every module {named}, so LoRA has nothing "
                             "to adapt; unfreeze some encoder layers or turn lora.enabled off.")
    return targets


def describe_targets(tree: LayerNode, lora: LoraConfig) -> str:
    """The run log's line naming the target modules and where they come from."""
    names, why = target_names(tree, lora.target_modules)
    return f"LoRA targets: {', '.join(names)} ({why})."


def wrap_with_lora(model, tree: LayerNode, targets: list[LayerNode], lora: LoraConfig, task: str | Task,
                   base_path: str) -> tuple[object, int, int]:
    """`model` (the tree's) as a peft model with adapters on `targets` (from `check_targets`); returns it
    with its (trainable, total) parameter counts.

    The total is the base model's plus the adapters' (peft's frozen original of the head is not counted
    twice). `base_path` goes into the adapter's config, for loading it onto the base model later."""
    import peft

    task_type = get_task(task).peft_task_type
    config = peft.LoraConfig(
        task_type=peft.TaskType[task_type],
        r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
        target_modules=[node.path for node in targets],
        modules_to_save=[node.path for node in head_nodes(tree) if node.path not in PEFT_HEADS[task_type]] or None,
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
