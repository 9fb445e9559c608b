"""What a finished run got right and wrong on a split: the results files, written at the end of a
run (`write_results`) and read by the results page (`SplitResults`).

    <run_dir>/results/<split>.json    task, label_names, split, rows, metrics
    <run_dir>/results/<split>.jsonl   one line per row: the gold answer and the predicted probabilities

Pure numpy (plus seqeval for the entity report), so the results page only draws what it gets here.
Token rows mark words cut off by truncation with pred -1; they count as "O" in every report.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.runs import write_json_atomic
from workbench.core.tasks import Task, get_task
from workbench.core.tasks.spans import Span, tag_spans

RESULTS = "results"
SPLITS = ("validation", "test")
OUTSIDE = "O"


def summary_path(run_dir: str | Path, split: str) -> Path:
    return Path(run_dir) / RESULTS / f"{split}.json"


def rows_path(run_dir: str | Path, split: str) -> Path:
    return Path(run_dir) / RESULTS / f"{split}.jsonl"


def available_splits(run_dir: str | Path) -> list[str]:
    """The splits with results, validation first. The summary is written last, so it marks a complete pair."""
    return [split for split in SPLITS if summary_path(run_dir, split).is_file() and rows_path(run_dir, split).is_file()]


def write_results(run_dir: Path, task: str | Task, label_names: list[str], split: str, raw, encoded, model, tokenizer) -> Path:
    """Write `results/<split>.jsonl` (a line per row: what the task's `result_lines` holds) and
    `results/<split>.json` (metrics as the Trainer computes them); `raw` is the prepared split and
    `encoded` its tokenised form. Returns the summary's path."""
    from workbench.core.tasks.batches import PREDICTION_PADDING, TaskCollator, row_logits

    task = get_task(task)
    rows, records = encoded.to_list(), raw.to_list()
    logits = row_logits(model, rows, TaskCollator(tokenizer, task, PREDICTION_PADDING))
    lines, metrics = task.result_lines(records, rows, logits, tokenizer, label_names)

    rows_file, summary_file = rows_path(run_dir, split), summary_path(run_dir, split)
    rows_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = rows_file.with_name(f".{rows_file.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    os.replace(tmp, rows_file)
    write_json_atomic(summary_file, {"task": task.name, "label_names": label_names, "split": split, "rows": len(lines),
                                     "metrics": {name: float(value) for name, value in metrics.items()}})
    return summary_file


@dataclass(frozen=True)
class ClassReport:
    name: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Misclassified:
    """A row with its gold class, the predicted class and that prediction's probability."""

    index: int
    text: str
    text_pair: str | None
    true: int
    pred: int
    confidence: float


@dataclass(frozen=True)
class ThresholdReport:
    threshold: float
    micro_f1: float
    macro_f1: float
    per_label: list[ClassReport]


@dataclass(frozen=True)
class TokenErrors:
    """A sentence whose predicted tags differ from the gold ones, with both sets of entity spans."""

    index: int
    tokens: list[str]
    gold_spans: list[Span]
    pred_spans: list[Span]


@dataclass(frozen=True)
class AnsweredQuestion:
    """A QA row: the question, its context, the true answers and the predicted one (start -1: no answer)."""

    index: int
    id: str
    question: str
    context: str
    answers: list[str]
    answer_starts: list[int]
    pred: str
    pred_start: int
    score: float
    exact_match: float
    f1: float


class SplitResults:
    """One split's predictions, read as the task's `result_form` says. Methods per form: classes
    (single_label, pair) `confusion`, `per_class`, `misclassified`, `predictions`; label sets
    (multi_label) `at_threshold`; tags (token) `entity_report`, `error_sentences`; answers (qa) `questions`."""

    def __init__(self, split: str, task: str, label_names: list[str], metrics: dict[str, float], lines: list[dict]):
        self.split, self.task, self.label_names, self.metrics = split, task, label_names, metrics
        self.rows = len(lines)
        self._lines = lines
        width = len(label_names)
        form = get_task(task).result_form
        if form == "answers":
            self._questions = [AnsweredQuestion(i, **line) for i, line in enumerate(lines)]
            return
        if form == "tags":
            self._gold_tags = [[label_names[i] for i in line["gold"]] for line in lines]
            self._pred_tags = [[label_names[i] if i >= 0 else OUTSIDE for i in line["pred"]] for line in lines]
            return
        self._probs = np.array([line["probs"] for line in lines], dtype=np.float64).reshape(-1, width)
        if form == "label_sets":
            self._gold = np.zeros((self.rows, width), dtype=bool)
            for row, line in enumerate(lines):
                self._gold[row, line["labels"]] = True
            self._support = self._gold.sum(axis=0)
        else:
            self._gold = np.array([line["label"] for line in lines], dtype=np.int64)
            self._pred = self._probs.argmax(axis=1)
            self._confidence = self._probs.max(axis=1)

    @classmethod
    def load(cls, run_dir: str | Path, split: str) -> SplitResults:
        summary = _read(summary_path(run_dir, split), json.loads)
        path = rows_path(run_dir, split)
        lines = _read(path, lambda text: [json.loads(line) for line in text.splitlines() if line])
        try:
            if len(lines) != summary["rows"]:
                raise ValueError(f"{len(lines)} rows instead of {summary['rows']}")
            return cls(split, summary["task"], list(summary["label_names"]), dict(summary["metrics"]), lines)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise _unreadable(path, exc) from None

    def class_use(self) -> tuple[list[str], list[str]]:
        """The classes (labels, entity types) the gold answers hold and those the predictions use
        (`Task.class_use`); both empty for a task without classes."""
        task = get_task(self.task)
        return task.class_use(self._lines, self.label_names) if task.class_words else ([], [])

    # single_label and pair

    def predictions(self) -> np.ndarray:
        return self._pred

    def confusion(self, normalize: bool = False) -> np.ndarray:
        """Counts with rows the true class and columns the predicted one; `normalize`: shares of each row."""
        width = len(self.label_names)
        counts = np.bincount(self._gold * width + self._pred, minlength=width * width).reshape(width, width)
        return _ratio(counts, counts.sum(axis=1, keepdims=True)) if normalize else counts

    def per_class(self) -> list[ClassReport]:
        counts = self.confusion()
        return _class_reports(self.label_names, np.diag(counts), counts.sum(axis=0), counts.sum(axis=1))

    def misclassified(self, true: int | None = None, pred: int | None = None) -> list[Misclassified]:
        """Wrong rows, most confident first, optionally of one true and/or predicted class; the right
        rows of a class when `true` and `pred` are the same."""
        keep = self._gold == true if true is not None and true == pred else self._gold != self._pred
        if true is not None:
            keep &= self._gold == true
        if pred is not None:
            keep &= self._pred == pred
        rows = np.flatnonzero(keep)
        rows = rows[np.argsort(-self._confidence[rows], kind="stable")]
        return [
            Misclassified(int(i), self._lines[i]["text"], self._lines[i].get("text_pair"), int(self._gold[i]),
                          int(self._pred[i]), float(self._confidence[i]))
            for i in rows
        ]

    # multi_label

    def at_threshold(self, threshold: float) -> ThresholdReport:
        """Per-label and overall F1 when a label is predicted at probability >= `threshold`."""
        predicted = self._probs >= threshold
        hits = (predicted & self._gold).sum(axis=0)
        counts = predicted.sum(axis=0)
        per_label = _class_reports(self.label_names, hits, counts, self._support)
        micro = _ratio(np.array(2 * hits.sum()), np.array(counts.sum() + self._support.sum()))
        return ThresholdReport(threshold, float(micro), float(np.mean([r.f1 for r in per_label])), per_label)

    # token

    def entity_report(self) -> list[ClassReport]:
        """Entity-level precision, recall and F1 per entity type (seqeval), types sorted."""
        from seqeval.metrics import classification_report

        report = classification_report(self._gold_tags, self._pred_tags, output_dict=True, zero_division=0)
        types = sorted(name for name in report if not name.endswith(" avg"))
        return [ClassReport(name, float(report[name]["precision"]), float(report[name]["recall"]),
                            float(report[name]["f1-score"]), int(report[name]["support"])) for name in types]

    def error_sentences(self) -> list[TokenErrors]:
        return [
            TokenErrors(i, self._lines[i]["tokens"], tag_spans(gold), tag_spans(pred))
            for i, (gold, pred) in enumerate(zip(self._gold_tags, self._pred_tags))
            if gold != pred
        ]

    # qa

    def questions(self, worst_first: bool = True) -> list[AnsweredQuestion]:
        """The questions; `worst_first`: lowest F1 first and, among equals, the most confident first."""
        if not worst_first:
            return list(self._questions)
        return sorted(self._questions, key=lambda q: (q.f1, -q.score))


def _read(path: Path, parse: Callable[[str], Any]) -> Any:
    try:
        return parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkbenchError(f"{path} is missing; the run has no results for this split (did it finish training?).") from None
    except (OSError, ValueError) as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: Exception) -> WorkbenchError:
    logging.getLogger(__name__).info("Reading %s failed", path, exc_info=exc)
    return WorkbenchError(f"{path} is not a readable results file (it is cut short or damaged); train the run again "
                          "to rewrite it.")


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    out = np.zeros(np.broadcast(numerator, denominator).shape)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def _class_reports(names: list[str], hits: np.ndarray, predicted: np.ndarray, support: np.ndarray) -> list[ClassReport]:
    """Precision, recall and F1 from true positives, predicted and gold counts per class."""
    precision, recall, f1 = _ratio(hits, predicted), _ratio(hits, support), _ratio(2 * hits, predicted + support)
    return [ClassReport(name, float(p), float(r), float(f), int(s))
            for name, p, r, f, s in zip(names, precision, recall, f1, support)]
