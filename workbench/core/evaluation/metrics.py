"""The Trainer's metric hooks for a run: the task's built-in scores (`tasks.scores`, `tasks.qa_scores`)
with the run's further `evaluate` modules (training.extra_metrics, `extra_metrics`) beside them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

from workbench.core.evaluation.extra_metrics import ExtraMetric, extra_metric_values
from workbench.core.tasks import Task, get_task


def reduce_logits(task: str | Task) -> Callable:
    """Trainer's `preprocess_logits_for_metrics`: what the task keeps of a batch's logits (class ids,
    not logits, for most tasks), so evaluation does not hold every logit."""
    reducer = get_task(task).reduce_logits
    return lambda logits, labels: reducer(logits)


def build_compute_metrics(task: str | Task, label_names: list[str], extras: Sequence[ExtraMetric] = (),
                          encoded=None) -> Callable:
    """Trainer's `compute_metrics` for a task, fed by `reduce_logits`; `extras` are added beside the
    built-in ones; `encoded` is the split evaluated, for the tasks that read answers through it."""
    task = get_task(task)
    extra_scores = None
    if extras:
        def extra_scores(predictions, references, taken: set[str]) -> dict[str, float]:
            return extra_metric_values(list(extras), task, predictions, references, taken)
    return task.compute_metrics(label_names, extra_scores, encoded)
