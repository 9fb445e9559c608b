"""What a model's logits become: the logits of an output (the first of a tuple, or qa's start and end
stacked), and probabilities from them. numpy only, but for `stacked_logits`, which takes torch outputs."""

from __future__ import annotations

import numpy as np


def first_output(logits):
    return logits[0] if isinstance(logits, tuple) else logits


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
