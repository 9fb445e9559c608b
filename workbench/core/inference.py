"""Batched forward passes of a trained model over encoded rows: one logits array per row.

Evaluation, `workbench predict`, the try-it page and the ONNX parity check all read logits through
here, so they agree with each other. Rows are batched in length order (less padding), and each
row's logits come back in the input order, trimmed to the row's own length for token tasks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

BATCH_SIZE = 64


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


def stacked_logits(output):
    """A model output's `logits`, or its start and end logits stacked on a last axis (qa)."""
    import torch

    if "logits" in output:
        return output["logits"]
    return torch.stack([output["start_logits"], output["end_logits"]], dim=-1)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits))


def probabilities(logits: np.ndarray, task: str) -> np.ndarray:
    """Class probabilities as the task reads them (independent sigmoids for multi-label, else a softmax)."""
    from workbench.core.tasks import get_task

    return get_task(task).probabilities(logits)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
