"""From raw columns to a labelled task's standard columns: each sentence-level or token task's *plan*
(its batch conversion, output features, label names and strata) that `data.prepare` runs on every split.

Text tasks give `text` (and `text_pair` for pairs) plus `labels`: a class id (a `ClassLabel`) for
single_label / pair, a multi-hot float32 list for multi_label. Token tasks give `tokens` and
`labels` (one tag id per token). Each check names the file, split, row or column at fault.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.core.config import DataConfig
from workbench.core.errors import WorkbenchError

BATCH_ROWS = 100_000  # rows per Arrow batch a column is read in
_TAG = re.compile(r"^(O|[BIESLU]-.+)$")
_MULTI_DELIMITERS = ("|", ";", ",")
# what a task's preparation hands on: batch conversion, output features, label names, strata
Plan = tuple[functools.partial, dict[str, Any], list[str], "np.ndarray | None"]


@dataclass(frozen=True)
class _Coder:
    """Raw label values -> ids: `values[i]` has id `i`; plain data so `datasets` can fingerprint it.

    `tag_names` turns ClassLabel ids inside lists back into names; `delimiter` splits multi-label
    strings."""

    values: tuple[Any, ...]
    tag_names: tuple[str, ...] | None = None
    delimiter: str | None = None

    def ids(self, array: pa.Array) -> pa.Array:
        value_set = pa.array(self.values)
        return pc.index_in(_plain(array).cast(value_set.type), value_set=value_set)

    def strings(self, array: pa.Array) -> pa.Array:
        if self.tag_names is not None:
            return pc.take(pa.array(self.tag_names), array)
        return _plain(array).cast(pa.string())

    def label_sets(self, array: pa.Array) -> tuple[np.ndarray, pa.Array]:
        """Multi-label cells as (row index, label name) pairs, whitespace stripped, empty parts dropped."""
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            one_each = pa.array(np.arange(len(array) + 1, dtype=np.int32))
            array = pc.split_pattern(array, pattern=self.delimiter) if self.delimiter else pa.ListArray.from_arrays(one_each, array)
        rows = pc.list_parent_indices(array).to_numpy()
        names = pc.utf8_trim_whitespace(self.strings(pc.list_flatten(array)))
        keep = pc.fill_null(pc.greater(pc.utf8_length(names), 0), False)
        return rows[keep.to_numpy(zero_copy_only=False)], names.filter(keep)


def text_plan(raw: datasets.DatasetDict, config: DataConfig, pair: bool, multi_hot: bool) -> Plan:
    """A sentence-level task's batch conversion, output features, label names and (to stratify a
    carve) train label ids; `pair`: a second text column, `multi_hot`: label sets, not one class."""
    if pair and not config.text_pair_column:
        raise WorkbenchError("A pair task needs data.text_pair_column to name the second text column.")
    text_columns = [config.text_column] + ([config.text_pair_column] if pair else [])
    label = config.label_column
    for split, dataset in raw.items():
        for column in text_columns + [label]:
            find_column(dataset, column, split_source(config.source, split))
        for column in text_columns:
            if not isinstance(dataset.features[column], datasets.Value):
                raise WorkbenchError(
                    f"Column '{column}' in {split_source(config.source, split)} does not hold text "
                    f"({type(dataset.features[column]).__name__}); choose a text column, or the token task for token lists."
                )
    coder, names = (_multi_coder if multi_hot else _class_coder)(raw, config)
    features = {"text": datasets.Value("string")}
    if pair:
        features["text_pair"] = datasets.Value("string")
    features["labels"] = (
        datasets.List(datasets.Value("float32"), length=len(names)) if multi_hot else datasets.ClassLabel(names=names)
    )
    strata = None
    if not multi_hot and "validation" not in raw:
        missing = len(coder.values)  # rows without a label form their own stratum (and fail in the map)
        strata = np.concatenate([pc.fill_null(coder.ids(b), missing).to_numpy() for b in column_batches(raw["train"], label)])
    batch = functools.partial(_text_batch, text_columns=tuple(text_columns), label=label, coder=coder, multi_hot=multi_hot)
    return batch, features, names, strata


def token_plan(raw: datasets.DatasetDict, config: DataConfig) -> Plan:
    train = raw["train"]
    tokens = find_column(train, config.text_column, config.source, ("tokens",) if config.text_column == "text" else ())
    tags = find_column(train, config.label_column, config.source, ("tags", "ner_tags") if config.label_column == "label" else ())
    for split, dataset in raw.items():
        for column in (tokens, tags):
            find_column(dataset, column, split_source(config.source, split))
            if not is_list(dataset.features[column]):
                raise WorkbenchError(
                    f"Column '{column}' in {split_source(config.source, split)} holds plain values, not one list per "
                    "sentence; a token task needs token and tag lists (a CoNLL file gives them)."
                )
    inner = train.features[tags].feature
    coder = _Coder((), tag_names=tuple(inner.names) if isinstance(inner, datasets.ClassLabel) else None)
    present = {split: _unique(dataset, tags, lambda a: coder.strings(pc.list_flatten(a))) for split, dataset in raw.items()}
    for split, found in present.items():
        bad = sorted(tag for tag in found if not _TAG.match(str(tag)))
        if bad:
            raise WorkbenchError(
                f"{split_source(config.source, split)} has the tag '{bad[0]}' in column '{tags}' (unknown tag scheme); "
                "every tag must be O or start with B-, I-, E-, S-, L- or U- followed by the entity type."
            )
    names = sorted(present["train"], key=lambda tag: (tag != "O", tag))
    _check_labels(present, names, tags, config.source)
    coder = _Coder(tuple(names), tag_names=coder.tag_names)
    features = {"tokens": datasets.List(datasets.Value("string")), "labels": datasets.List(datasets.Value("int64"))}
    return functools.partial(_token_batch, tokens=tokens, tags=tags, coder=coder), features, names, None


def _class_coder(raw: datasets.DatasetDict, config: DataConfig) -> tuple[_Coder, list[str]]:
    label = config.label_column
    feature = raw["train"].features[label]
    if not isinstance(feature, (datasets.Value, datasets.ClassLabel)):
        raise WorkbenchError(f"Column '{label}' in {config.source} holds lists; use the multi_label task for label lists.")
    try:
        present = {split: _unique(dataset, label, _plain) for split, dataset in raw.items()}
    except pa.ArrowInvalid:
        raise WorkbenchError(
            f"Column '{label}' in {config.source} holds fractional numbers; class labels must be names or whole numbers."
        ) from None
    if isinstance(feature, datasets.ClassLabel):
        names = list(feature.names)
        used = {names[i] for i in present["train"] if 0 <= i < len(names)}
        _check_labels({"train": used}, names, label, config.source)
        return _Coder(tuple(range(len(names)))), names
    values = sorted(present["train"])
    names = [str(value) for value in values]
    _check_labels(present, values, label, config.source)
    return _Coder(tuple(values)), names


def _multi_coder(raw: datasets.DatasetDict, config: DataConfig) -> tuple[_Coder, list[str]]:
    label = config.label_column
    feature = raw["train"].features[label]
    delimiter = config.label_delimiter
    if isinstance(feature, datasets.Value) and feature.dtype in ("string", "large_string"):
        if delimiter is None:
            delimiter = next((d for d in _MULTI_DELIMITERS if _contains(raw["train"], label, d)), None)
    elif not is_list(feature):
        raise WorkbenchError(
            f"Column '{label}' in {config.source} must hold label lists or delimited strings for a multi_label task."
        )
    inner = getattr(feature, "feature", None)
    coder = _Coder((), tag_names=tuple(inner.names) if isinstance(inner, datasets.ClassLabel) else None, delimiter=delimiter)
    present = {split: _unique(dataset, label, lambda a: coder.label_sets(a)[1]) for split, dataset in raw.items()}
    names = sorted(present["train"])
    _check_labels(present, names, label, config.source)
    return _Coder(tuple(names), tag_names=coder.tag_names, delimiter=delimiter), names


def _check_labels(present: dict[str, set], known: list, column: str, source: str) -> None:
    """At least two classes in train; no validation/test label that train never uses."""
    if len(present["train"]) < 2:
        found = ", ".join(repr(value) for value in sorted(present["train"])) or "none"
        raise WorkbenchError(
            f"The training data in {source} has fewer than two classes in column '{column}' (found {found}); "
            "a classifier needs at least two."
        )
    for split, found in present.items():
        unseen = sorted(set(found) - set(known))
        if unseen:
            raise WorkbenchError(
                f"The {split} split of {source} has the label {unseen[0]!r} in column '{column}', "
                "which the training split never uses."
            )


def _text_batch(table: pa.Table, rows: np.ndarray, where: str, text_columns: tuple[str, ...],
                label: str, coder: _Coder, multi_hot: bool) -> pa.Table:
    out: dict[str, pa.Array] = {}
    for name, column in zip(("text", "text_pair"), text_columns):
        text = table[column].combine_chunks().cast(pa.string())
        empty = pc.fill_null(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0), True)
        raise_first(empty, rows, f"is empty in column '{column}'", where)
        out[name] = text
    raw = table[label].combine_chunks()
    if multi_hot:
        owners, names = coder.label_sets(raw)
        hot = np.zeros((len(raw), len(coder.values)), dtype=np.float32)
        hot[owners, coder.ids(names).to_numpy()] = 1.0
        out["labels"] = pa.FixedSizeListArray.from_arrays(pa.array(hot.reshape(-1)), len(coder.values))
    else:
        ids = coder.ids(raw)
        raise_first(pc.is_null(ids), rows, f"has no label in column '{label}'", where)
        out["labels"] = ids.cast(pa.int64())
    return pa.table(out)


def _token_batch(table: pa.Table, rows: np.ndarray, where: str, tokens: str, tags: str, coder: _Coder) -> pa.Table:
    words = table[tokens].combine_chunks()
    tag_lists = table[tags].combine_chunks()
    n_words = pc.fill_null(pc.list_value_length(words), 0).to_numpy()
    n_tags = pc.fill_null(pc.list_value_length(tag_lists), 0).to_numpy()
    raise_first(pa.array(n_words == 0), rows, f"has no tokens in column '{tokens}'", where)
    raise_first(pa.array(n_words != n_tags), rows, f"has a different number of tokens ('{tokens}') and tags ('{tags}')", where)
    ids = coder.ids(coder.strings(pc.list_flatten(tag_lists))).cast(pa.int64())
    offsets = pa.array(np.concatenate([[0], np.cumsum(n_tags)]), pa.int32())
    return pa.table({"tokens": words.cast(pa.list_(pa.string())), "labels": pa.ListArray.from_arrays(offsets, ids)})


def raise_first(mask: pa.Array, rows: np.ndarray, problem: str, where: str) -> None:
    """Raise naming the first row (1-based, as in the source split) where `mask` is True."""
    if pc.any(mask).as_py():
        row = rows[np.flatnonzero(mask.to_numpy(zero_copy_only=False))[0]] + 1
        raise WorkbenchError(f"Row {row} of {where} {problem}.")


def find_column(dataset: datasets.Dataset, wanted: str, where: str, fallbacks: tuple[str, ...] = ()) -> str:
    """`wanted`, else the first fallback present, else an error suggesting the closest name."""
    for name in (wanted, *fallbacks):
        if name in dataset.column_names:
            return name
    columns = dataset.column_names
    close = difflib.get_close_matches(wanted, columns, n=1)
    hint = f"; did you mean '{close[0]}'" if close else ""
    raise WorkbenchError(f"{where} has no column '{wanted}'{hint} (its columns are: {', '.join(columns)}).")


def split_source(source: str, split: str) -> str:
    """How messages name a split: the source itself for train, else "the <split> split of <source>"."""
    return source if split == "train" else f"the {split} split of {source}"


def is_list(feature: Any) -> bool:
    return isinstance(feature, (datasets.List, datasets.LargeList))


def _plain(array: pa.Array) -> pa.Array:
    """Label values as int64 (whole numbers, float or not) or strings."""
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        return array.cast(pa.int64())  # raises ArrowInvalid on a fractional value
    return array.cast(pa.string())


def column_batches(dataset: datasets.Dataset, column: str) -> Iterator[pa.Array]:
    for table in dataset.with_format("arrow", columns=[column]).iter(batch_size=BATCH_ROWS):
        yield table[column].combine_chunks()


def _unique(dataset: datasets.Dataset, column: str, values: Any) -> set:
    """The distinct non-null values of `values(batch)` over the whole column."""
    found: set = set()
    for batch in column_batches(dataset, column):
        found.update(pc.unique(values(batch)).drop_null().to_pylist())
    return found


def _contains(dataset: datasets.Dataset, column: str, needle: str) -> bool:
    return any(pc.any(pc.match_substring(batch, needle)).as_py() for batch in column_batches(dataset, column))
