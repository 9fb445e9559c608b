"""Entity spans as HTML for a QTextBrowser: each type in its own colour, the type after the span."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

MARK_TEXT = "#1f2937"  # dark text on the light marks, in a dark palette too (its text colour is light)
PALETTE = ("#fde68a", "#bfdbfe", "#bbf7d0", "#fecaca", "#ddd6fe", "#fed7aa", "#a5f3fc", "#f5d0fe")


def type_colour(entity_type: str, types: Sequence[str]) -> str:
    """A stable colour per type, given every type the model knows (so colours match across pages)."""
    position = types.index(entity_type) if entity_type in types else abs(hash(entity_type))
    return PALETTE[position % len(PALETTE)]


def mark(text: str, entity_type: str, types: Sequence[str]) -> str:
    return (f'<span style="background-color:{type_colour(entity_type, types)}; color:{MARK_TEXT}">{escape(text)}'
            f'<sub> {escape(entity_type)}</sub></span>')


def highlight_words(words: Sequence[str], spans: Iterable, types: Sequence[str]) -> str:
    """`words` joined by spaces, with `spans` (start and end word indices, end exclusive, and a type) marked."""
    starts = {span.start: span for span in spans}
    parts, position = [], 0
    while position < len(words):
        span = starts.get(position)
        if span is not None and span.end > position:
            parts.append(mark(" ".join(words[span.start : span.end]), span.type, types))
            position = span.end
        else:
            parts.append(escape(words[position]))
            position += 1
    return " ".join(parts)


def highlight_text(text: str, spans: Iterable, types: Sequence[str]) -> str:
    """`text` with `spans` (character `start`/`end`, a `type`) marked; line breaks kept."""
    parts, position = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < position:
            continue
        parts += [escape(text[position : span.start]), mark(text[span.start : span.end], span.type, types)]
        position = span.end
    parts.append(escape(text[position:]))
    return "".join(parts).replace("\n", "<br>")


def entity_types(tag_names: Sequence[str]) -> list[str]:
    """The entity types of IOB2 tag names, in first-seen order (`B-PER`, `I-PER`, `O` -> `PER`)."""
    return list(dict.fromkeys(name[2:] for name in tag_names if name[:2] in ("B-", "I-")))
