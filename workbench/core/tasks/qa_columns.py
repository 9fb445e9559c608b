"""Question answering rows in the standard columns `id`, `question`, `context` and `answers`
(`{"text": [...], "answer_start": [...]}`, empty for an unanswerable question), from SQuAD files,
Hub datasets with SQuAD's columns, or flat files with the answer text (and its start, when known).

An answer whose text is not at its start in the context (or, without a start, nowhere in it) is
placed again with `place_answer`; a question whose answer cannot be placed is left out, and
`prepare` says how many were.
"""

from __future__ import annotations

import functools
import re

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.core.config import DataConfig
from workbench.core.errors import WorkbenchError
from workbench.core.tasks.columns import find_column, raise_first, split_source

# the columns of the Hub's `squad` datasets, which SQuAD files are read into too
FEATURES = datasets.Features({
    "id": datasets.Value("string"),
    "title": datasets.Value("string"),
    "context": datasets.Value("string"),
    "question": datasets.Value("string"),
    "answers": {"text": datasets.List(datasets.Value("string")),
                "answer_start": datasets.List(datasets.Value("int32"))},
})
COLUMNS = ("id", "question", "context", "answers")
ARTICLES_TO_GROUP = 10  # fewer named articles than this: a carved validation split keeps contexts together instead
_ANSWERS = pa.struct([("text", pa.list_(pa.string())), ("answer_start", pa.list_(pa.int32()))])


def qa_plan(raw: datasets.DatasetDict, config: DataConfig):
    train = raw["train"]
    question = find_column(train, config.text_column, config.source, ("question",) if config.text_column == "text" else ())
    context = find_column(train, config.text_pair_column or "context", config.source, ("context",))
    answers = find_column(train, config.label_column, config.source, ("answers", "answer") if config.label_column == "label" else ())
    nested = isinstance(train.features[answers], dict)
    start = None if nested or config.answer_start_column not in train.column_names else config.answer_start_column
    for split, dataset in raw.items():
        for column in (question, context, answers, start):
            if column is not None:
                find_column(dataset, column, split_source(config.source, split))
        if isinstance(dataset.features[answers], dict) != nested or (
                nested and not {"text", "answer_start"} <= set(dataset.features[answers])):
            raise WorkbenchError(
                f"Column '{answers}' in {split_source(config.source, split)} must hold SQuAD answers "
                "({'text': [...], 'answer_start': [...]}) in every split, or the answer text in every split.")
    batch = functools.partial(_qa_batch, question=question, context=context, answers=answers, start=start, nested=nested)
    return batch, {name: FEATURES[name] for name in COLUMNS}, [], None


def context_groups(train: datasets.Dataset, config: DataConfig) -> np.ndarray | None:
    """Which questions a carved validation split keeps together: those of one article where the
    data names at least `ARTICLES_TO_GROUP` articles (SQuAD's titles), else those of one context,
    so that no context is read in training and scored in validation. None when all the questions
    share one context: they are carved one by one."""
    titles = train.data.column("title").combine_chunks().cast(pa.string()) if "title" in train.column_names else None
    if (titles is not None and titles.null_count == 0 and pc.min(pc.utf8_length(titles)).as_py()
            and pc.count_distinct(titles).as_py() >= ARTICLES_TO_GROUP):
        column = titles
    else:
        name = find_column(train, config.text_pair_column or "context", config.source, ("context",))
        column = pc.fill_null(train.data.column(name).combine_chunks().cast(pa.string()), "")
    encoded = pc.dictionary_encode(column)
    return encoded.indices.to_numpy(zero_copy_only=False) if len(encoded.dictionary) > 1 else None


def _qa_batch(table: pa.Table, rows: np.ndarray, where: str, question: str, context: str, answers: str,
              start: str | None, nested: bool) -> pa.Table:
    questions = table[question].combine_chunks().cast(pa.string())
    contexts = table[context].combine_chunks().cast(pa.string())
    for name, texts in ((question, questions), (context, contexts)):
        empty = pc.fill_null(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(texts)), 0), True)
        raise_first(empty, rows, f"is empty in column '{name}'", where)
    ids = table["id"].cast(pa.string()).to_pylist() if "id" in table.column_names else [str(r + 1) for r in rows]
    contexts_list = contexts.to_pylist()
    given = _given_answers(table, answers, start, nested)
    kept, placed = [], []
    for i, (text, context_text) in enumerate(zip(given, contexts_list)):
        spans = [_place(context_text, answer, offset) for answer, offset in text]
        if any(span is None for span in spans):
            continue  # an answer that is not in its context: the question is left out
        kept.append(i)
        placed.append({"text": [span[1] for span in spans], "answer_start": [span[0] for span in spans]})
    keep = pa.array(kept, pa.int64())
    return pa.table({"id": pa.array(ids, pa.string()).take(keep), "question": questions.take(keep),
                     "context": contexts.take(keep), "answers": pa.array(placed, _ANSWERS)})


def _given_answers(table: pa.Table, answers: str, start: str | None, nested: bool) -> list[list[tuple[str, int | None]]]:
    """Each row's answers as (text, start or None) pairs; an empty flat answer means no answer."""
    cells = table[answers].to_pylist()
    if nested:
        return [list(zip(cell["text"], cell["answer_start"])) if cell else [] for cell in cells]
    starts = table[start].to_pylist() if start else [None] * len(cells)
    return [[(str(text), _offset(offset))] if text is not None and str(text).strip() else []
            for text, offset in zip(cells, starts)]


def _offset(value) -> int | None:
    try:
        return int(value) if value is not None and str(value).strip() != "" else None
    except ValueError:
        return None


def _place(context: str, text: str, start: int | None) -> tuple[int, str] | None:
    if start is not None and 0 <= start and context[start:start + len(text)] == text:
        return start, text
    return place_answer(context, text)


def place_answer(context: str, text: str) -> tuple[int, str] | None:
    """Where `text` is in `context`, as (start, the text as the context spells it): its first exact
    occurrence, else the first ignoring case and runs of whitespace; None when it is not there."""
    exact = context.find(text)
    if exact >= 0:
        return exact, text
    words = text.split()
    loose = re.search(r"\s+".join(map(re.escape, words)), context, flags=re.IGNORECASE) if words else None
    return (loose.start(), loose.group()) if loose else None
