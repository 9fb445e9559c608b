"""Entity spans from IOB2 tags (IOBES too), read the way seqeval's default (non-strict) mode reads them.

Kept apart from seqeval so that turning predicted tags into spans does not import scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """Words `start` to `end` (exclusive) form one entity of `type`."""

    start: int
    end: int
    type: str


def tag_spans(tags: Sequence[str]) -> list[Span]:
    """B-X starts a span and I-X continues one of type X; an I-X after O or after another type starts
    a new span, and any tag of another type ends the open one. E-X ends a span, S-X is a span alone."""
    spans: list[Span] = []
    prev, prev_type, start = "O", "", 0
    for i, tag in enumerate([*tags, "O"]):
        prefix, kind = tag[0], tag[2:]
        if prev in "ES" or (prev in "BI" and prefix in "BSO") or (prev != "O" and prev_type != kind):
            spans.append(Span(start, i, prev_type))
        if prefix in "BS" or (prev in "ESO" and prefix in "EI") or (prefix != "O" and prev_type != kind):
            start = i
        prev, prev_type = prefix, kind
    return spans
