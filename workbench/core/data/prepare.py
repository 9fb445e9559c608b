"""From raw columns to the standard ones training reads, with label ids, splits and checks.

Text tasks give `text` (and `text_pair` for pairs) plus `labels`: a class id (a `ClassLabel`) for
single_label / pair, a multi-hot float32 list for multi_label. Token tasks give `tokens` and
`labels` (one tag id per token). Every conversion is a batched Arrow `Dataset.map`, so big data
stays on disk and the results are cached by fingerprint.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.core.config import DataConfig
from workbench.core.data.charsets import UTF8
from workbench.core.data.formats import load_raw
from workbench.core.errors import WorkbenchError
from workbench.core.tasks import get_task

BATCH_ROWS = 100_000
_TAG = re.compile(r"^(O|[BIESLU]-.+)$")
_GUESS_DELIMITERS = ("|", ";")
_MULTI_DELIMITERS = ("|", ";", ",")
# what a task's preparation hands on: batch conversion, output features, label names, strata
_Plan = tuple[functools.partial, dict[str, Any], list[str], "np.ndarray | None"]


@dataclass
class PreparedData:
    """Standard columns per split: text[, text_pair], labels; or tokens, labels for token tasks."""

    splits: datasets.DatasetDict  # "train", "validation", optionally "test"
    task: str
    label_names: list[str]  # id -> name
    source: str
    encodings: dict[str, dict[str, str]] = field(default_factory=dict)  # raw split -> {text file -> encoding}
    notes: list[str] = field(default_factory=list)  # what preparing left out, a sentence each

    def encoding_notes(self) -> list[str]:
        """A sentence for each text file that was not UTF-8, saying what it was read as."""
        return [f"Read {path} as {encoding}." for files in self.encodings.values()
                for path, encoding in files.items() if encoding != UTF8]

    def split_counts(self) -> dict[str, int]:
        return {split: len(dataset) for split, dataset in self.splits.items()}

    def label_counts(self) -> dict[str, dict[str, int]]:
        """Per split: rows per class (multi_label: rows carrying the label; token: tags per name)."""
        task = get_task(self.task)
        names = task.count_names(self.label_names)
        out: dict[str, dict[str, int]] = {}
        for split, dataset in self.splits.items():
            counts = np.zeros(len(names), dtype=np.int64)
            for labels in _column_batches(dataset, task.count_column):
                counts += task.count_labels(labels, len(names))
            out[split] = dict(zip(names, counts.tolist()))
        return out


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


def guess_task(raw: datasets.DatasetDict, text_column: str, label_column: str) -> str:
    """qa, token, multi_label or single_label from the column names and types (pair is never guessed)."""
    dataset = raw["train"] if "train" in raw else next(iter(raw.values()))
    features = dataset.features
    if {"question", "context"} <= set(features) and ({"answers", "answer"} & set(features)):
        return "qa"
    text = features[text_column] if text_column in features else features.get("tokens")
    if _is_list(text):
        return "token"
    label = features.get(label_column)
    if _is_list(label):
        return "multi_label"
    if isinstance(label, datasets.Value) and label.dtype in ("string", "large_string"):
        sample = dataset.with_format("arrow")[:10_000][label_column]
        hits = functools.reduce(pc.or_, [pc.match_substring(sample, d) for d in _GUESS_DELIMITERS])
        if pc.sum(pc.fill_null(hits, False)).as_py() > 0.1 * len(sample):
            return "multi_label"
    return "single_label"


def prepare(config: DataConfig, task: str) -> PreparedData:
    """Load `config.source` and give standard columns, label ids and train/validation(/test) splits."""
    plan = get_task(task).plan
    raw = load_raw(config.source)
    if "train" not in raw:
        raise WorkbenchError(f"{config.source} has no training split (only {', '.join(raw)}).")
    batch, features, names, strata = plan(raw, config)
    splits, notes = {}, []
    for split, (origin, keep) in _layout(raw, config, strata).items():
        where = f"the {origin} split of {config.source}"
        splits[split] = _convert(raw[origin], functools.partial(batch, where=where), features, keep, split)
        expected = len(raw[origin]) if keep is None else int(keep.sum())
        if len(splits[split]) == 0 < expected:
            raise WorkbenchError(f"None of the {expected:,} rows of the {split} split of {config.source} can be used: "
                                 f"{get_task(task).left_out}.")
        if len(splits[split]) < expected:  # a task may leave rows out (qa: answers not in their context)
            notes.append(f"{expected - len(splits[split]):,} of {expected:,} rows of the {split} split of "
                         f"{config.source} were left out: {get_task(task).left_out}.")
    return PreparedData(datasets.DatasetDict(splits), task, names, config.source, raw.encodings, notes)


def text_plan(raw: datasets.DatasetDict, config: DataConfig, pair: bool, multi_hot: bool) -> _Plan:
    """A sentence-level task's batch conversion, output features, label names and (to stratify a
    carve) train label ids; `pair`: a second text column, `multi_hot`: label sets, not one class."""
    if pair and not config.text_pair_column:
        raise WorkbenchError("A pair task needs data.text_pair_column to name the second text column.")
    text_columns = [config.text_column] + ([config.text_pair_column] if pair else [])
    label = config.label_column
    for split, dataset in raw.items():
        for column in text_columns + [label]:
            _column(dataset, column, _where(config.source, split))
        for column in text_columns:
            if not isinstance(dataset.features[column], datasets.Value):
                raise WorkbenchError(
                    f"Column '{column}' in {_where(config.source, split)} does not hold text "
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
        strata = np.concatenate([pc.fill_null(coder.ids(b), missing).to_numpy() for b in _column_batches(raw["train"], label)])
    batch = functools.partial(_text_batch, text_columns=tuple(text_columns), label=label, coder=coder, multi_hot=multi_hot)
    return batch, features, names, strata


def token_plan(raw: datasets.DatasetDict, config: DataConfig) -> _Plan:
    train = raw["train"]
    tokens = _column(train, config.text_column, config.source, ("tokens",) if config.text_column == "text" else ())
    tags = _column(train, config.label_column, config.source, ("tags", "ner_tags") if config.label_column == "label" else ())
    for split, dataset in raw.items():
        for column in (tokens, tags):
            _column(dataset, column, _where(config.source, split))
            if not _is_list(dataset.features[column]):
                raise WorkbenchError(
                    f"Column '{column}' in {_where(config.source, split)} holds plain values, not one list per "
                    "sentence; a token task needs token and tag lists (a CoNLL file gives them)."
                )
    inner = train.features[tags].feature
    coder = _Coder((), tag_names=tuple(inner.names) if isinstance(inner, datasets.ClassLabel) else None)
    present = {split: _unique(dataset, tags, lambda a: coder.strings(pc.list_flatten(a))) for split, dataset in raw.items()}
    for split, found in present.items():
        bad = sorted(tag for tag in found if not _TAG.match(str(tag)))
        if bad:
            raise WorkbenchError(
                f"{_where(config.source, split)} has the tag '{bad[0]}' in column '{tags}' (unknown tag scheme); "
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
    elif not _is_list(feature):
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
        _raise_first(empty, rows, f"is empty in column '{column}'", where)
        out[name] = text
    raw = table[label].combine_chunks()
    if multi_hot:
        owners, names = coder.label_sets(raw)
        hot = np.zeros((len(raw), len(coder.values)), dtype=np.float32)
        hot[owners, coder.ids(names).to_numpy()] = 1.0
        out["labels"] = pa.FixedSizeListArray.from_arrays(pa.array(hot.reshape(-1)), len(coder.values))
    else:
        ids = coder.ids(raw)
        _raise_first(pc.is_null(ids), rows, f"has no label in column '{label}'", where)
        out["labels"] = ids.cast(pa.int64())
    return pa.table(out)


def _token_batch(table: pa.Table, rows: np.ndarray, where: str, tokens: str, tags: str, coder: _Coder) -> pa.Table:
    words = table[tokens].combine_chunks()
    tag_lists = table[tags].combine_chunks()
    n_words = pc.fill_null(pc.list_value_length(words), 0).to_numpy()
    n_tags = pc.fill_null(pc.list_value_length(tag_lists), 0).to_numpy()
    _raise_first(pa.array(n_words == 0), rows, f"has no tokens in column '{tokens}'", where)
    _raise_first(pa.array(n_words != n_tags), rows, f"has a different number of tokens ('{tokens}') and tags ('{tags}')", where)
    ids = coder.ids(coder.strings(pc.list_flatten(tag_lists))).cast(pa.int64())
    offsets = pa.array(np.concatenate([[0], np.cumsum(n_tags)]), pa.int32())
    return pa.table({"tokens": words.cast(pa.list_(pa.string())), "labels": pa.ListArray.from_arrays(offsets, ids)})


def _raise_first(mask: pa.Array, rows: np.ndarray, problem: str, where: str) -> None:
    """Raise naming the first row (1-based, as in the source split) where `mask` is True."""
    if pc.any(mask).as_py():
        row = rows[np.flatnonzero(mask.to_numpy(zero_copy_only=False))[0]] + 1
        raise WorkbenchError(f"Row {row} of {where} {problem}.")


def _convert(dataset: datasets.Dataset, batch: functools.partial, features: dict[str, Any],
             keep: np.ndarray | None, split: str) -> datasets.Dataset:
    """A batched Arrow map to the standard columns, keeping only the rows where `keep` is True.

    Subsets are written out rather than selected, so no split carries an indices mapping (which
    `datasets` reads row by row)."""
    converted = dataset.with_format("arrow").map(
        _keep_rows, batched=True, batch_size=BATCH_ROWS, with_indices=True, remove_columns=dataset.column_names,
        features=datasets.Features(features), writer_batch_size=BATCH_ROWS, desc=f"Preparing {split}",
        fn_kwargs={"batch": batch, "keep": keep},
    )
    return converted.with_format(None)


def _keep_rows(table: pa.Table, indices: list[int], batch: functools.partial, keep: np.ndarray | None) -> pa.Table:
    """`batch` on the kept rows; it gets their source row indices to name rows in errors."""
    rows = np.asarray(indices)
    if keep is not None:
        table, rows = table.filter(pa.array(keep[rows])), rows[keep[rows]]
    return batch(table, rows)


def _layout(raw: datasets.DatasetDict, config: DataConfig, strata: np.ndarray | None) -> dict[str, tuple[str, np.ndarray | None]]:
    """Each output split's source split and row mask (None: all rows): a validation split carved
    from train when there is none, and the training rows capped at `max_train_rows`."""
    total = len(raw["train"])
    layout: dict[str, tuple[str, np.ndarray | None]] = {split: (split, None) for split in raw}
    train_rows = np.arange(total)
    if "validation" not in raw:
        train_rows, held = _carve(total, strata, config.validation_fraction, config.split_seed)
        if not len(train_rows) or not len(held):
            raise WorkbenchError(
                f"{config.source} has only {total} training rows, too few to set "
                f"{config.validation_fraction:.0%} aside for validation."
            )
        layout["validation"] = ("train", _mask(total, held))
    if config.max_train_rows is not None and config.max_train_rows < len(train_rows):
        train_rows = np.random.default_rng(config.split_seed).permutation(train_rows)[: config.max_train_rows]
    if len(train_rows) < total:
        layout["train"] = ("train", _mask(total, train_rows))
    return {split: layout[split] for split in ("train", "validation", "test") if split in layout}


def _carve(rows: int, strata: np.ndarray | None, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) row indices, ceil(fraction * rows) held out. With `strata` the held rows
    are shared among the classes by largest remainder (ties broken at random), and never take a
    class's last row, so train keeps every class."""
    rng = np.random.default_rng(seed)
    target = math.ceil(fraction * rows)
    if strata is None:
        order = rng.permutation(rows)
        return order[target:], order[:target]
    counts = np.bincount(strata)
    by_class = np.split(np.argsort(strata, kind="stable"), np.cumsum(counts)[:-1])
    exact = counts * target / rows
    share = np.floor(exact).astype(np.int64)
    ranked = np.lexsort((rng.random(len(counts)), share - exact))
    share[ranked[: target - share.sum()]] += 1
    share = np.minimum(share, np.maximum(counts - 1, 0))
    members = [rng.permutation(group) for group in by_class]
    keep = np.concatenate([group[count:] for group, count in zip(members, share)])
    held = np.concatenate([group[:count] for group, count in zip(members, share)])
    return keep, held


def _mask(total: int, rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(total, dtype=bool)
    mask[rows] = True
    return mask


def _column(dataset: datasets.Dataset, wanted: str, where: str, fallbacks: tuple[str, ...] = ()) -> str:
    """`wanted`, else the first fallback present, else an error suggesting the closest name."""
    for name in (wanted, *fallbacks):
        if name in dataset.column_names:
            return name
    columns = dataset.column_names
    close = difflib.get_close_matches(wanted, columns, n=1)
    hint = f"; did you mean '{close[0]}'" if close else ""
    raise WorkbenchError(f"{where} has no column '{wanted}'{hint} (its columns are: {', '.join(columns)}).")


def _where(source: str, split: str) -> str:
    return source if split == "train" else f"the {split} split of {source}"


def _is_list(feature: Any) -> bool:
    return isinstance(feature, (datasets.List, datasets.LargeList))


def _plain(array: pa.Array) -> pa.Array:
    """Label values as int64 (whole numbers, float or not) or strings."""
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        return array.cast(pa.int64())  # raises ArrowInvalid on a fractional value
    return array.cast(pa.string())


def _column_batches(dataset: datasets.Dataset, column: str) -> Iterator[pa.Array]:
    for table in dataset.with_format("arrow", columns=[column]).iter(batch_size=BATCH_ROWS):
        yield table[column].combine_chunks()


def _unique(dataset: datasets.Dataset, column: str, values: Any) -> set:
    """The distinct non-null values of `values(batch)` over the whole column."""
    found: set = set()
    for batch in _column_batches(dataset, column):
        found.update(pc.unique(values(batch)).drop_null().to_pylist())
    return found


def _contains(dataset: datasets.Dataset, column: str, needle: str) -> bool:
    return any(pc.any(pc.match_substring(batch, needle)).as_py() for batch in _column_batches(dataset, column))
