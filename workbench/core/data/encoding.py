"""Tokenisation of prepared splits for a task, and the collator that pads each batch to its own longest row.

Encoded splits hold the model's inputs plus `labels`, a `length` column that the length-grouped
sampler reads, and what else the task keeps of a row (tasks.base.BOOKKEEPING); the collator
drops those before the batch reaches the model.
`Dataset.map` caches the result by fingerprint, so a second run on the same data skips tokenising.
"""

from __future__ import annotations

from typing import Any

import datasets

from workbench.core.config import TaskConfig
from workbench.core.tasks import Task, get_task
from workbench.core.tasks.batches import TaskCollator


def encode_splits(splits: datasets.DatasetDict, task: str | Task, tokenizer, max_length: int,
                  options: TaskConfig | None = None) -> datasets.DatasetDict:
    """Each split encoded by its task's encoder; `options` are the run's task settings (windows, stride)."""
    task = get_task(task)
    encoder = task.encoder(options or TaskConfig(type=task.name), max_length)
    return datasets.DatasetDict({
        name: split.map(
            encoder.function,
            batched=True,
            batch_size=2000,
            with_indices=encoder.with_indices,
            fn_kwargs={"tokenizer": tokenizer, **encoder.options},
            remove_columns=split.column_names,
            desc=f"Tokenizing {name}",
        )
        for name, split in splits.items()
    })


class PaddingCollator(TaskCollator):
    """The task's collator for a task given by name or object."""

    def __init__(self, tokenizer: Any, task: str | Task):
        super().__init__(tokenizer, get_task(task))
