"""Batches of encoded rows: the collator that pads them for the model, and batched forward passes of a
trained model over them, one logits array per row.

Evaluation, `workbench predict`, the try-it page and the ONNX parity check all read logits through
here, so they agree with each other. Rows are batched in length order (less padding), and each
row's logits come back in the input order, trimmed to the row's own length for token tasks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.core.tasks.base import BOOKKEEPING
from workbench.core.tasks.logits import stacked_logits

if TYPE_CHECKING:
    from workbench.core.tasks.base import Task

BATCH_SIZE = 64
PREDICTION_PADDING = None  # batches of rows already sorted by length: padded to the longest row


@dataclass
class TaskCollator:
    """Pads a batch to its longest row with the task's collator (labels too, with -100, for token
    tasks), after dropping the bookkeeping columns; the padded length is rounded up to a multiple of
    `pad_to_multiple_of` (None: not rounded, which forward passes alone on a CPU measured about 10%
    faster on length-sorted batches: `PREDICTION_PADDING`)."""

    tokenizer: Any
    task: Task
    pad_to_multiple_of: int | None = 8

    def __post_init__(self):
        self._inner = self.task.padder(self.tokenizer)
        self._inner.pad_to_multiple_of = self.pad_to_multiple_of

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self._inner([{k: v for k, v in f.items() if k not in BOOKKEEPING} for f in features])
        return self.task.batch_labels(batch)


def row_logits(model, rows: Sequence[dict[str, Any]], collator, batch_size: int = BATCH_SIZE) -> list[np.ndarray]:
    """float32 logits for each encoded row (`input_ids`, `attention_mask`, ...; labels are ignored).

    Sequence tasks give shape (num_labels,) per row, token tasks (row length, num_labels), qa
    (row length, 2): start and end logits."""
    import torch

    lengths = [len(row["input_ids"]) for row in rows]
    order = sorted(range(len(rows)), key=lengths.__getitem__)
    out: list[np.ndarray | None] = [None] * len(rows)
    device = next(model.parameters()).device
    model.eval()
    with torch.inference_mode():
        for chunk in _chunks(order, batch_size):
            features = [{k: v for k, v in rows[i].items() if k not in ("labels", "length")} for i in chunk]
            batch = {k: v.to(device) for k, v in collator(features).items()}
            logits = stacked_logits(model(**batch)).float().cpu().numpy()
            for j, i in enumerate(chunk):
                out[i] = logits[j, : lengths[i]] if logits.ndim == 3 else logits[j]
    return out


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
