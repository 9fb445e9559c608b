"""Extractive QA scores as the SQuAD evaluation script defines them, computed here so offline works:
answers are compared after lower-casing and dropping punctuation, articles and extra spaces; a
question scores its best match over its reference answers; a question with no reference answer
(SQuAD v2.0) scores 1 when the prediction is empty too."""

from __future__ import annotations

import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(truth))


def token_f1(prediction: str, truth: str) -> float:
    predicted, true = normalize_answer(prediction).split(), normalize_answer(truth).split()
    if not predicted or not true:  # SQuAD v2.0: both empty is a match, one empty is not
        return float(predicted == true)
    common = sum((Counter(predicted) & Counter(true)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(true)
    return 2 * precision * recall / (precision + recall)


def squad_scores(predictions: list[str], references: list[list[str]]) -> dict[str, float]:
    """`exact_match` and `f1` over all questions, as fractions (the SQuAD script prints them x100); with
    unanswerable questions (an empty reference list) also `no_answer_accuracy`, the share of them
    answered with the empty string, and `has_answer_f1`."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} questions")
    em, f1, has_answer_f1, no_answer_hits = [], [], [], []
    for prediction, truths in zip(predictions, references):
        truths = truths or [""]
        em.append(max(exact_match(prediction, truth) for truth in truths))
        f1.append(max(token_f1(prediction, truth) for truth in truths))
        if truths == [""]:
            no_answer_hits.append(float(prediction.strip() == ""))
        else:
            has_answer_f1.append(f1[-1])
    scores = {"exact_match": _mean(em), "f1": _mean(f1)}
    if no_answer_hits:
        scores["no_answer_accuracy"] = _mean(no_answer_hits)
        scores["has_answer_f1"] = _mean(has_answer_f1)
    return scores


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
