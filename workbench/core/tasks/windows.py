"""Texts longer than max_length, read in windows instead of cut off (task.windows; qa always).

A text becomes overlapping windows of at most max_length tokens, neighbours sharing `stride` tokens;
each window is trained on with its text's label and carries `example`, the index of its text in the
split. A text's logits are its windows' pooled logits: their mean (single_label, pair: the classes
all windows lean to), or their maximum (multi_label: a label any window finds).

A model trained this way says so in its config.json (`task_specific_params`), so that its predictor
reads long texts in windows as well.
"""

from __future__ import annotations

import numpy as np

PARAMS = "long_documents"  # the key in a model's task_specific_params: {"max_length": ..., "stride": ...}


def window_stride(stride: int | None, max_length: int) -> int:
    """Tokens neighbouring windows share: task.stride (at most half a window), else half a window."""
    return min(stride, max_length // 2) if stride is not None else max_length // 2


def encode_text_windows(batch: dict[str, list], indices: list[int], tokenizer, max_length: int,
                        stride: int) -> dict[str, list]:
    """Windows of a batch of prepared texts (and pairs: the second text is windowed, the first kept
    whole), each with its text's `labels`, its `example` index and its `length`."""
    pairs = batch.get("text_pair")
    enc = tokenizer(batch["text"], pairs, truncation="only_second" if pairs is not None else True,
                    max_length=max_length, stride=stride, return_overflowing_tokens=True)
    owners = enc.pop("overflow_to_sample_mapping")
    out = dict(enc)
    out["example"] = [indices[i] for i in owners]
    if "labels" in batch:
        out["labels"] = [batch["labels"][i] for i in owners]
    out["length"] = [len(ids) for ids in enc["input_ids"]]
    return out


def pool_windows(logits: np.ndarray, examples, how: str = "mean") -> tuple[np.ndarray, np.ndarray]:
    """Per-text logits from per-window ones (rows of `logits`, owned by `examples`), in text order,
    and the index of each text's first window."""
    examples = np.asarray(examples)
    texts, first, owner = np.unique(examples, return_index=True, return_inverse=True)
    pooled = np.zeros((len(texts), *logits.shape[1:]), dtype=np.float64)
    if how == "max":
        pooled[:] = -np.inf
        np.maximum.at(pooled, owner, logits)
    else:
        np.add.at(pooled, owner, logits)
        pooled /= np.bincount(owner, minlength=len(texts)).reshape(-1, *[1] * (logits.ndim - 1))
    return pooled, first


def model_windows(model_config) -> dict | None:
    """How a saved model read texts in windows ({"max_length": ..., "stride": ...}), or None when it read them whole."""
    return (getattr(model_config, "task_specific_params", None) or {}).get(PARAMS)
