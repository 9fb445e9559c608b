"""What a trained model answers for one input: the Try it page, `workbench predict` and the export
parity checks read these (`Task.predict` makes them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EntitySpan:
    type: str
    text: str
    start: int  # character offsets in the input text, end exclusive
    end: int
    score: float  # the mean of its words' scores


@dataclass
class Prediction:
    label: str  # multi-label: the chosen labels joined by ";" ("" when none); token tasks: the word tags
    confidence: float  # top probability; multi-label: mean of the chosen (1 - max when none); token: mean word score
    probs: dict[str, float]  # empty for token tasks
    spans: list[EntitySpan] | None = None  # token tasks
    answers: list | None = None  # qa: the best answers (qa_windows.Answer), best first; `label` is the first
