"""Extractive QA over contexts longer than max_length, as transformers' QA example does it: each
(question, context) pair becomes overlapping windows of the context (`stride` tokens shared between
neighbours), labelled with the answer's first and last token, or with [CLS] (position 0) in the
windows that do not hold the whole answer. Answers come back by scoring start/end pairs in every
window of a question and mapping the best through the offset mapping to characters of the context.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def encode_windows(batch: dict[str, list], tokenizer, max_length: int, stride: int, labelled: bool = True) -> dict[str, list]:
    """Windows of a batch of questions; besides the model's inputs each window has `example` (the row
    of its question in the batch's split, from `batch["row"]`), `offsets` (character spans of context
    tokens, None elsewhere) and `length`; with `labelled`, `start_positions` and `end_positions`."""
    questions = [question.lstrip() for question in batch["question"]]  # leading spaces waste the window
    enc = tokenizer(questions, batch["context"], truncation="only_second", max_length=max_length, stride=stride,
                    return_overflowing_tokens=True, return_offsets_mapping=True)
    owners = enc.pop("overflow_to_sample_mapping")
    offsets = enc.pop("offset_mapping")
    out = dict(enc)
    out["example"] = [batch["row"][i] for i in owners]
    out["offsets"] = [[span if sequence == 1 else None for span, sequence in zip(spans, enc.sequence_ids(w))]
                      for w, spans in enumerate(offsets)]
    out["length"] = [len(ids) for ids in enc["input_ids"]]
    if labelled:
        starts, ends = [], []
        for w, owner in enumerate(owners):
            answers = batch["answers"][owner]
            start, end = _answer_tokens(out["offsets"][w], answers)
            starts.append(start)
            ends.append(end)
        out["start_positions"], out["end_positions"] = starts, ends
    return out


def _answer_tokens(offsets: list, answers: dict) -> tuple[int, int]:
    """The first and last token of the first answer in this window, or (0, 0) for [CLS] when the
    window does not hold all of it (or the question has no answer)."""
    if not answers["text"]:
        return 0, 0
    first = answers["answer_start"][0]
    last = first + len(answers["text"][0])
    context = [i for i, span in enumerate(offsets) if span is not None]
    if not context or offsets[context[0]][0] > first or offsets[context[-1]][1] < last:
        return 0, 0
    start = next(i for i in context if offsets[i][1] > first)
    end = next(i for i in reversed(context) if offsets[i][0] < last)
    return start, end


@dataclass(frozen=True)
class Answer:
    text: str
    start: int  # character offset in the context; -1 for "no answer"
    score: float  # start logit + end logit


def best_answers(start_logits: np.ndarray, end_logits: np.ndarray, windows: list[dict], context: str,
                 top_k: int = 1, max_answer_tokens: int = 30, allow_empty: bool = False) -> list[Answer]:
    """The `top_k` best spans of one question over its windows (each with its `offsets`), best first.
    With `allow_empty` (SQuAD v2.0 data), the empty answer competes with its [CLS] score, the lowest
    over the windows, as the transformers example does."""
    candidates: dict[tuple[int, int], Answer] = {}
    no_answer = None
    for starts, ends, window in zip(start_logits, end_logits, windows):
        offsets = window["offsets"]
        null = float(starts[0] + ends[0])
        no_answer = null if no_answer is None else min(no_answer, null)
        best_starts = np.argsort(starts[: len(offsets)])[::-1][:20]
        best_ends = np.argsort(ends[: len(offsets)])[::-1][:20]
        for s in best_starts:
            for e in best_ends:
                if offsets[s] is None or offsets[e] is None or e < s or e - s + 1 > max_answer_tokens:
                    continue
                span = (offsets[s][0], offsets[e][1])
                score = float(starts[s] + ends[e])
                if span not in candidates or candidates[span].score < score:
                    candidates[span] = Answer(context[span[0]:span[1]], span[0], score)
    ranked = sorted(candidates.values(), key=lambda answer: -answer.score)
    if allow_empty and no_answer is not None:
        ranked = sorted([*ranked, Answer("", -1, no_answer)], key=lambda answer: -answer.score)
    return ranked[:top_k] or [Answer("", -1, no_answer if no_answer is not None else 0.0)]
