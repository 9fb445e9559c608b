"""Extractive QA over contexts longer than max_length, as transformers' QA example does it: each
(question, context) pair becomes overlapping windows of the context (`stride` tokens shared between
neighbours), labelled with the answer's first and last token, or with [CLS] (position 0) in the
windows that do not hold the whole answer.

Answers come back by the rule of the question-answering pipeline (transformers 4; transformers 5
dropped that pipeline): in each window the start and end logits outside the context are masked and
turned into probabilities, a span scores start probability x end probability over at most
`max_answer_tokens` tokens, the best spans of all windows compete, and a span's characters run from
the start of its first token's word to the end of its last token's word (`align_to_words`). The
empty answer scores the lowest [CLS] start x end probability over the windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ANSWER_TOKENS = 15  # the pipeline's max_answer_len
_MASKED = -10000.0


def encode_windows(batch: dict[str, list], indices: list[int], tokenizer, max_length: int, stride: int,
                   labelled: bool = True) -> dict[str, list]:
    """Windows of a batch of questions; besides the model's inputs each window has `example` (the index
    of its question in the split, from `indices`), `offsets` (for each context token the character span
    of its word, None elsewhere), `length`, and its question's `context` and `answers`;
    with `labelled`, `start_positions` and `end_positions`."""
    questions = [question.lstrip() for question in batch["question"]]  # leading spaces waste the window
    enc = tokenizer(questions, batch["context"], truncation="only_second", max_length=max_length, stride=stride,
                    return_overflowing_tokens=True, return_offsets_mapping=True)
    owners = enc.pop("overflow_to_sample_mapping")
    token_spans = enc.pop("offset_mapping")
    out = dict(enc)
    out["example"] = [indices[i] for i in owners]
    out["offsets"], starts, ends = [], [], []
    for w, owner in enumerate(owners):
        context_spans = [span if sequence == 1 else None for span, sequence in zip(token_spans[w], enc.sequence_ids(w))]
        if labelled:
            start, end = _answer_tokens(context_spans, batch["answers"][owner])
            starts.append(start)
            ends.append(end)
        out["offsets"].append(_word_spans(enc.encodings[w], context_spans))
    out["length"] = [len(ids) for ids in enc["input_ids"]]
    out["context"] = [batch["context"][i] for i in owners]
    out["answers"] = [batch["answers"][i] if labelled else {"text": [], "answer_start": []} for i in owners]
    if labelled:
        out["start_positions"], out["end_positions"] = starts, ends
    return out


def _word_spans(encoding, context_spans: list) -> list:
    """Each context token's word as a character span of the context (the pipeline's align_to_words)."""
    words = encoding.word_ids
    spans = []
    for position, span in enumerate(context_spans):
        if span is None:
            spans.append(None)
        elif words[position] is None:
            spans.append(list(span))
        else:
            spans.append(list(encoding.word_to_chars(words[position], 1)))
    return spans


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
    score: float  # start probability x end probability in its window


def best_answers(logits: list[np.ndarray], offsets: list[list], context: str, top_k: int = 1,
                 max_answer_tokens: int = MAX_ANSWER_TOKENS, allow_empty: bool = False) -> list[Answer]:
    """The `top_k` best answers of one question, best first, from its windows' logits (each window's
    (length, 2) array of start and end logits) and `offsets` (as `encode_windows` gives them). With
    `allow_empty` (SQuAD v2.0 data) the empty answer competes too."""
    found: list[Answer] = []
    no_answer = 1.0
    for window, spans in zip(logits, offsets):
        length = len(spans)
        inside = np.array([span is not None for span in spans])
        keep = inside.copy()
        keep[0] = True  # [CLS]: the no-answer score
        start, end = (_probabilities(np.where(keep, window[:length, k], _MASKED)) for k in (0, 1))
        no_answer = min(no_answer, float(start[0] * end[0]))
        start[0] = end[0] = 0.0
        scores = np.tril(np.triu(np.outer(start, end)), max_answer_tokens - 1)
        flat = scores.ravel()
        best = np.argsort(-flat, kind="stable")[:top_k] if top_k > 1 else [int(np.argmax(flat))]
        for index in best:
            s, e = divmod(int(index), length)
            if inside[s] and inside[e]:
                found.append(Answer(context[spans[s][0]:spans[e][1]], spans[s][0], float(flat[index])))
    if allow_empty:
        found.append(Answer("", -1, no_answer))
    found.sort(key=lambda answer: -answer.score)
    return found[:top_k] or [Answer("", -1, 0.0)]


def _probabilities(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


def window_logits(start_logits: np.ndarray, end_logits: np.ndarray, lengths: list[int]) -> list[np.ndarray]:
    """Per-window (length, 2) arrays from the Trainer's padded start and end logit matrices."""
    return [np.stack([start_logits[i, :n], end_logits[i, :n]], axis=-1) for i, n in enumerate(lengths)]
