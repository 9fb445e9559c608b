"""Question-answering spans as HTML for a QTextBrowser: the context with the true answers and the
predicted one marked in their own colours (and a third where they overlap), in entity_html's style."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workbench.ui.views.entity_html import highlight_text

TRUE, PREDICTED, BOTH = "true answer", "predicted", "true and predicted"
ANSWER_TYPES = (TRUE, PREDICTED, BOTH)  # entity_html's first three colours: yellow, blue, green

Range = tuple[int, int]  # character start and end (exclusive) in the context


@dataclass(frozen=True)
class AnswerMark:
    start: int
    end: int
    type: str


def answer_ranges(texts: Sequence[str], starts: Sequence[int]) -> list[Range]:
    """Where answers lie in their context; an empty answer or a start of -1 (no answer) lies nowhere."""
    return [(start, start + len(text)) for text, start in zip(texts, starts) if text and start >= 0]


def answer_marks(true: Sequence[Range], predicted: Sequence[Range]) -> list[AnswerMark]:
    """The context's stretches in a true answer, the predicted one or both, in order."""
    cuts = sorted({position for start, end in (*true, *predicted) for position in (start, end)})
    marks: list[AnswerMark] = []
    for start, end in zip(cuts, cuts[1:]):
        inside = [any(s <= start and end <= e for s, e in ranges) for ranges in (true, predicted)]
        if not any(inside):
            continue
        kind = BOTH if all(inside) else TRUE if inside[0] else PREDICTED
        if marks and marks[-1].end == start and marks[-1].type == kind:
            marks[-1] = AnswerMark(marks[-1].start, end, kind)
        else:
            marks.append(AnswerMark(start, end, kind))
    return marks


def highlight_answers(context: str, true: Sequence[Range], predicted: Sequence[Range]) -> str:
    """`context` escaped, with its true and predicted answers marked; line breaks kept."""
    return highlight_text(context, answer_marks(true, predicted), ANSWER_TYPES)
