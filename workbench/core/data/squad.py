"""SQuAD-format question answering files: the nested JSON of v1.1 and v2.0 flattened to one row a
question.

Rows have the columns of the Hub's `squad` datasets: `id`, `title`, `context`, `question` and
`answers` ({"text": [...], "answer_start": [...]}, empty lists for a v2.0 question with no answer).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import datasets

from workbench.core.data.generated import generate
from workbench.core.errors import WorkbenchError
from workbench.core.tasks.qa_columns import FEATURES

_SQUAD_START = re.compile(r'^\s*\{\s*"(version|data)"\s*:')


def looks_like_squad(sample: str) -> bool:
    """Whether the start of a JSON file reads as SQuAD: an object with `version` or `data` whose
    articles hold `paragraphs` (their `qas` may come after a context longer than the sample)."""
    return bool(_SQUAD_START.match(sample)) and '"paragraphs"' in sample


def _questions(paths: list[str], shown: list[str]) -> Iterator[dict]:
    for path, name in zip(paths, shown):
        with open(path, encoding="utf-8-sig") as handle:
            try:
                content = json.load(handle)
            except json.JSONDecodeError as exc:
                raise WorkbenchError(f"{name} is not valid JSON at line {exc.lineno}, column {exc.colno}.") from None
        articles = content.get("data") if isinstance(content, dict) else None
        if not isinstance(articles, list):
            raise WorkbenchError(f"{name} has no 'data' list of articles, which a SQuAD file holds.")
        for a, article in enumerate(articles):
            for p, paragraph in enumerate(article.get("paragraphs", [])):
                context = paragraph.get("context")
                if not isinstance(context, str):
                    raise WorkbenchError(f"{name} article {a + 1} paragraph {p + 1} has no 'context' text.")
                for q, qa in enumerate(paragraph.get("qas", [])):
                    where = f"{name} article {a + 1} paragraph {p + 1} question {q + 1}"
                    answers = [] if qa.get("is_impossible") else qa.get("answers", [])
                    yield {
                        "id": str(qa.get("id", f"{a}-{p}-{q}")),
                        "title": str(article.get("title", "")),
                        "context": context,
                        "question": _text(qa.get("question"), where, "question"),
                        "answers": {"text": [_text(x.get("text"), where, "answer text") for x in answers],
                                    "answer_start": [_start(x, where) for x in answers]},
                    }


def _text(value, where: str, what: str) -> str:
    if not isinstance(value, str):
        raise WorkbenchError(f"{where} has no {what}.")
    return value


def _start(answer: dict, where: str) -> int:
    """The answer's character offset; -1 where the file gives none (null or missing): preparing then
    finds the answer text in its context."""
    start = answer.get("answer_start")
    if start is None:
        return -1
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise WorkbenchError(f"{where} has an answer with an invalid 'answer_start' ({start!r}); it must be the "
                             "answer's character offset in the context, or null.")
    return start


def read_squad(files: list[Path], shown: list[str]) -> datasets.Dataset:
    """One row per question from SQuAD v1.1 / v2.0 JSON files (v2.0's `is_impossible` questions get no
    answers); a broken article, paragraph or question is named by its position and the file in `shown`."""
    return generate("squad", _questions, FEATURES, [str(path) for path in files], shown)
