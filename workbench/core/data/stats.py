"""Token-length statistics, measured with the tokenizer exactly as training will call it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from workbench.core.data.preparation import PreparedData
from workbench.core.tasks import get_task

_TOKENIZE_BATCH = 1000
_MIN_SUGGESTED = 16


@dataclass
class LengthStats:
    """Percentiles are observed lengths (the smallest length that covers the share of rows)."""

    per_split: dict[str, dict[str, int]]  # split -> {"p50", "p95", "max", "rows"}
    suggested_max_length: int  # train p95 rounded up to a multiple of 8, capped at model_max, >= 16
    model_max: int
    lengths: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # measured lengths per split

    def truncated_share(self, split: str, max_length: int) -> float:
        """The share of measured rows of `split` longer than `max_length` tokens."""
        measured = self.lengths[split]
        return float(np.mean(measured > max_length)) if len(measured) else 0.0

    def cut_share(self, split: str, max_length: int, lost: float) -> float:
        """The share of measured rows of `split` that cutting to `max_length` tokens robs of more than
        `lost` (a share) of their tokens."""
        measured = self.lengths[split]
        return float(np.mean(measured * (1 - lost) > max_length)) if len(measured) else 0.0


def token_length_stats(data: PreparedData, tokenizer, model_max: int, sample: int = 20000, seed: int = 0) -> LengthStats:
    """Lengths in tokens, special tokens included, of at most `sample` random rows per split."""
    lengths: dict[str, np.ndarray] = {}
    per_split: dict[str, dict[str, int]] = {}
    for split, dataset in data.splits.items():
        if len(dataset) > sample:
            rows = np.sort(np.random.default_rng(seed).choice(len(dataset), size=sample, replace=False))
            dataset = dataset.select(rows)
        task = get_task(data.task)
        dataset = dataset.select_columns(list(task.text_columns))
        measured = np.concatenate(
            [np.array([len(ids) for ids in task.token_lengths(batch, tokenizer)], dtype=np.int64)
             for batch in dataset.iter(batch_size=_TOKENIZE_BATCH)] or [np.zeros(0, int)]
        )
        lengths[split] = measured
        per_split[split] = _summary(measured)
    p95 = per_split["train"]["p95"]
    suggested = min(model_max, max(_MIN_SUGGESTED, math.ceil(p95 / 8) * 8))
    return LengthStats(per_split, suggested, model_max, lengths)


def _summary(measured: np.ndarray) -> dict[str, int]:
    if not len(measured):
        return {"p50": 0, "p95": 0, "max": 0, "rows": 0}
    p50, p95 = np.percentile(measured, [50, 95], method="inverted_cdf")
    return {"p50": int(p50), "p95": int(p95), "max": int(measured.max()), "rows": len(measured)}
