"""Tokenisation for each task and the collators that pad each batch to its own longest row.

Encoded splits hold the model's inputs plus `labels`, a `length` column that the length-grouped
sampler reads, and what else the task keeps of a row (tasks.base.BOOKKEEPING); `PaddingCollator`
drops those before the batch reaches the model.
`Dataset.map` caches the result by fingerprint, so a second run on the same data skips tokenising.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import datasets

from workbench.core.config import TaskConfig
from workbench.core.tasks import get_task
from workbench.core.tasks.base import BOOKKEEPING


def encode_splits(splits: datasets.DatasetDict, task: str, tokenizer, max_length: int,
                  options: TaskConfig | None = None) -> datasets.DatasetDict:
    """Each split encoded by its task's encoder; `options` are the run's task settings (windows, stride)."""
    encoder = get_task(task).encoder(options or TaskConfig(type=task), max_length)
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


@dataclass
class PaddingCollator:
    """Pads a batch to its longest row with the task's collator (labels too, with -100, for token
    tasks), after dropping the bookkeeping columns."""

    tokenizer: Any
    task: str

    def __post_init__(self):
        self._task = get_task(self.task)
        self._inner = self._task.padder(self.tokenizer)

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self._inner([{k: v for k, v in f.items() if k not in BOOKKEEPING} for f in features])
        return self._task.batch_labels(batch)
