import numpy as np
import pytest
from sklearn.metrics import f1_score

from workbench.core.tasks.scores import (
    classification_metrics,
    multilabel_metrics,
    token_metrics,
)


def test_binary_f1_is_the_positive_class():
    labels = np.array([1, 1, 0, 0, 1])
    preds = np.array([1, 0, 0, 1, 1])
    out = classification_metrics(labels, preds, 2)
    assert out["f1"] == pytest.approx(f1_score(labels, preds))
    assert out["accuracy"] == pytest.approx(0.6)


def test_multiclass_f1_is_macro():
    labels = np.array([0, 1, 2, 2, 1, 0])
    preds = np.array([0, 2, 2, 2, 1, 1])
    out = classification_metrics(labels, preds, 3)
    assert out["f1"] == pytest.approx(f1_score(labels, preds, average="macro"))
    assert out["f1_micro"] == pytest.approx(4 / 6)


def test_multilabel_threshold():
    labels = np.array([[1, 0, 1], [0, 1, 0]], dtype=float)
    probs = np.array([[0.9, 0.2, 0.6], [0.4, 0.7, 0.1]])
    out = multilabel_metrics(labels, probs)
    assert out["f1_micro"] == 1.0 and out["accuracy"] == 1.0
    out = multilabel_metrics(labels, probs, threshold=0.65)
    assert out["f1_micro"] == pytest.approx(f1_score(labels, probs >= 0.65, average="micro"))


def test_token_metrics_are_entity_level_and_skip_ignored_positions():
    names = ["O", "B-PER", "I-PER", "B-LOC"]
    labels = np.array([[-100, 1, 2, 0, 3, -100]])
    preds = np.array([[0, 1, 2, 0, 0, 3]])  # PER right, LOC missed; the -100 positions do not count
    out = token_metrics(labels, preds, names)
    assert out["precision"] == 1.0
    assert out["recall"] == 0.5
