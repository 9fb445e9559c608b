"""The built-in scores of the labelled tasks, with scikit-learn and seqeval (what `evaluate`'s f1 and
seqeval modules wrap): accuracy and F1 for classes, label sets and entities. SQuAD's are in `qa_scores`."""

from __future__ import annotations

import numpy as np


def classification_metrics(labels: np.ndarray, preds: np.ndarray, num_labels: int) -> dict[str, float]:
    """Accuracy and F1: the positive class's F1 for two classes, macro F1 otherwise (micro and macro always)."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    all_labels = list(range(num_labels))
    out = {
        "accuracy": float(accuracy_score(labels, preds)),
        "f1_macro": float(f1_score(labels, preds, labels=all_labels, average="macro", zero_division=0)),
        "f1_micro": float(f1_score(labels, preds, labels=all_labels, average="micro", zero_division=0)),
    }
    average, pos = ("binary", 1) if num_labels == 2 else ("macro", 1)
    p, r, f, _ = precision_recall_fscore_support(
        labels, preds, labels=None if average == "binary" else all_labels, average=average, pos_label=pos, zero_division=0
    )
    out.update(precision=float(p), recall=float(r), f1=float(f))
    return out


def multilabel_metrics(labels: np.ndarray, probs: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """Micro and macro F1 at a probability threshold; `f1` is the micro value, `accuracy` the exact-match share."""
    from sklearn.metrics import accuracy_score, f1_score

    preds = (probs >= threshold).astype(int)
    truth = (labels >= 0.5).astype(int)
    micro = float(f1_score(truth, preds, average="micro", zero_division=0))
    return {
        "accuracy": float(accuracy_score(truth, preds)),
        "f1_micro": micro,
        "f1_macro": float(f1_score(truth, preds, average="macro", zero_division=0)),
        "f1": micro,
    }


def token_metrics(labels: np.ndarray, preds: np.ndarray, label_names: list[str]) -> dict[str, float]:
    """Entity-level precision, recall and F1 (seqeval), ignoring positions labelled -100."""
    from seqeval.metrics import accuracy_score, f1_score, precision_score, recall_score

    gold, pred = align_tags(labels, preds, label_names)
    return {
        "precision": float(precision_score(gold, pred, zero_division=0)),
        "recall": float(recall_score(gold, pred, zero_division=0)),
        "f1": float(f1_score(gold, pred, zero_division=0)),
        "accuracy": float(accuracy_score(gold, pred)),
    }


def align_tags(labels: np.ndarray, preds: np.ndarray, label_names: list[str]) -> tuple[list[list[str]], list[list[str]]]:
    gold, pred = [], []
    for label_row, pred_row in zip(labels, preds):
        keep = label_row != -100
        gold.append([label_names[i] for i in label_row[keep]])
        pred.append([label_names[i] for i in pred_row[keep]])
    return gold, pred
