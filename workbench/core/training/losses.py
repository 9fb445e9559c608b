"""The training loss: the model's own, or a Trainer `compute_loss_func` for class weights, focal loss
and label smoothing.

Single-label and pair logits are [B, C] with labels [B]; token logits [B, T, C] with labels [B, T],
-100 marking the positions that carry no tag; multi-label logits and multi-hot labels are [B, C].
Every loss is a mean over the batch (WorkbenchTrainer.loss_is_scaled_for_ga is False).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from workbench.core.config import TaskConfig
from workbench.core.errors import WorkbenchError
from workbench.core.tasks import get_task

if TYPE_CHECKING:
    import torch

    from workbench.core.data import PreparedData

IGNORED = -100
_SHOWN_LABELS = 12


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor | None = None,
                  label_smoothing: float = 0.0) -> torch.Tensor:
    """torch's cross-entropy over every labelled position; with `weight`, the weighted mean."""
    import torch.nn.functional as F

    if weight is not None:
        weight = weight.to(logits.device, logits.dtype)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), weight=weight,
                           ignore_index=IGNORED, label_smoothing=label_smoothing)


def focal_loss(logits: torch.Tensor, labels: torch.Tensor, gamma: float, alpha: torch.Tensor | None = None) -> torch.Tensor:
    """Focal loss (Lin et al. 2017): -alpha[y] (1 - p_y)^gamma log p_y, a plain mean over the labelled
    positions; gamma 0 without alpha is cross-entropy."""
    logits, labels = logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1)
    kept = labels != IGNORED
    logits, labels = logits[kept], labels[kept]
    log_p = logits.log_softmax(dim=-1).gather(1, labels[:, None]).squeeze(1)
    loss = -((1 - log_p.exp()) ** gamma) * log_p
    if alpha is not None:
        loss = loss * alpha.to(loss.device, loss.dtype)[labels]
    return loss.sum() / max(len(loss), 1)


def multi_label_loss(logits: torch.Tensor, labels: torch.Tensor, pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy with logits over every (row, label), positives weighed by `pos_weight`."""
    import torch.nn.functional as F

    if pos_weight is not None:
        pos_weight = pos_weight.to(logits.device, logits.dtype)
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype), pos_weight=pos_weight)


def uses_own_loss(task: TaskConfig) -> bool:
    """Whether every loss option is at its default, so the model computes its own loss."""
    return task.class_weights is False and task.loss == "cross_entropy" and task.label_smoothing == 0


def class_weights(task: TaskConfig, data: PreparedData) -> torch.Tensor | None:
    """One weight per label, in label order: typed in task.class_weights, or from the training counts.

    From counts, single-label, pair and token tasks weigh each class (tag) by inverse frequency,
    total / (classes * count); multi_label weighs each label's positives by negatives / positives
    (each count at least 1)."""
    import torch

    names = data.label_names
    if task.class_weights is False:
        return None
    if isinstance(task.class_weights, list):
        if len(task.class_weights) != len(names):
            shown = ", ".join(names[:_SHOWN_LABELS]) + (f" and {len(names) - _SHOWN_LABELS} more" if len(names) > _SHOWN_LABELS else "")
            raise WorkbenchError(
                f"task.class_weights lists {len(task.class_weights)} weights, but the training data has "
                f"{len(names)} labels ({shown}); give one weight per label, in that order."
            )
        return torch.tensor(task.class_weights, dtype=torch.float)
    counts = data.label_counts()["train"]
    n = torch.tensor([max(counts.get(name, 0), 1) for name in names], dtype=torch.float)
    if get_task(task.type).multi_hot:
        rows = len(data.splits["train"])
        return (rows - n).clamp(min=1) / n
    return n.sum() / (len(n) * n)


def build_loss(task: TaskConfig, data: PreparedData) -> tuple[Callable | None, str | None]:
    """The Trainer's `compute_loss_func` for these options and a sentence saying what it computes;
    (None, None) for the model's own loss."""
    if uses_own_loss(task):
        return None, None
    weights = class_weights(task, data)
    multi_hot = get_task(task.type).multi_hot
    if multi_hot:
        loss, what = _on_logits(multi_label_loss, pos_weight=weights), "Loss: binary cross-entropy"
    elif task.loss == "focal":
        loss, what = _on_logits(focal_loss, gamma=task.focal_gamma, alpha=weights), f"Loss: focal, gamma {task.focal_gamma:g}"
    else:
        loss = _on_logits(cross_entropy, weight=weights, label_smoothing=task.label_smoothing)
        what = "Loss: cross-entropy" + (f" with label smoothing {task.label_smoothing:g}" if task.label_smoothing else "")
    if weights is not None:
        kind = "positive weights" if multi_hot else "class weights"
        source = "typed" if isinstance(task.class_weights, list) else "from the training counts"
        shown = ", ".join(f"{name} {w:.3g}" for name, w in zip(data.label_names[:_SHOWN_LABELS], weights.tolist()))
        more = f", and {len(weights) - _SHOWN_LABELS} more" if len(weights) > _SHOWN_LABELS else ""
        what += f"; {kind} {source}: {shown}{more}"
    return loss, what + "."


def _on_logits(loss: Callable, **options) -> Callable:
    def compute_loss(outputs, labels, num_items_in_batch=None):
        return loss(outputs["logits"], labels, **options)

    return compute_loss
