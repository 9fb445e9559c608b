"""From raw splits to the standard columns training reads: the task's plan (`tasks.columns`,
`tasks.qa_columns`) run on every split, a validation split carved from train when there is none,
and what preparing left out said in a sentence.

Every conversion is a batched Arrow `Dataset.map`, so big data stays on disk and the results are
cached by fingerprint.
"""

from __future__ import annotations

import functools
import math
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
from workbench.core.tasks import Task, get_task
from workbench.core.tasks.columns import BATCH_ROWS, column_batches, is_list

_GUESS_DELIMITERS = ("|", ";")


@dataclass
class PreparedData:
    """Standard columns per split: text[, text_pair], labels; or tokens, labels for token tasks."""

    splits: datasets.DatasetDict  # "train", "validation", optionally "test"
    task: str
    label_names: list[str]  # id -> name
    source: str
    encodings: dict[str, dict[str, str]] = field(default_factory=dict)  # raw split -> {text file -> encoding}
    notes: list[str] = field(default_factory=list)  # what preparing left out, a sentence each
    sheet_notes: list[str] = field(default_factory=list)  # which sheet of a workbook was read, when it has others

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
            for labels in column_batches(dataset, task.count_column):
                counts += task.count_labels(labels, len(names))
            out[split] = dict(zip(names, counts.tolist()))
        return out


def guess_task(raw: datasets.DatasetDict, text_column: str, label_column: str) -> str:
    """qa, token, multi_label or single_label from the column names and types (pair is never guessed)."""
    dataset = raw["train"] if "train" in raw else next(iter(raw.values()))
    features = dataset.features
    if {"question", "context"} <= set(features) and ({"answers", "answer"} & set(features)):
        return "qa"
    text = features[text_column] if text_column in features else features.get("tokens")
    if is_list(text):
        return "token"
    label = features.get(label_column)
    if is_list(label):
        return "multi_label"
    if isinstance(label, datasets.Value) and label.dtype in ("string", "large_string"):
        sample = dataset.with_format("arrow")[:10_000][label_column]
        hits = functools.reduce(pc.or_, [pc.match_substring(sample, d) for d in _GUESS_DELIMITERS])
        if pc.sum(pc.fill_null(hits, False)).as_py() > 0.1 * len(sample):
            return "multi_label"
    return "single_label"


def prepare(config: DataConfig, task: str | Task) -> PreparedData:
    """Load `config.source` and give standard columns, label ids and train/validation(/test) splits."""
    task = get_task(task)
    raw = load_raw(config.source, config.sheet)
    if "train" not in raw:
        raise WorkbenchError(f"{config.source} has no training split (only {', '.join(raw)}).")
    batch, features, names, strata = task.plan(raw, config)
    splits, notes = {}, list(raw.notes)
    groups = task.carve_groups(raw["train"], config) if "validation" not in raw else None
    for split, (origin, keep) in _layout(raw, config, strata, groups).items():
        where, numbers = f"the {origin} split of {config.source}", None
        sheet = raw.sheets.get(origin)
        if sheet is not None and len(sheet.rows) == len(raw[origin]):  # rows named as the sheet numbers them
            where, numbers = f"the sheet '{sheet.sheet}' of {sheet.path}", np.asarray(sheet.rows) - 1
        splits[split] = _convert(raw[origin], functools.partial(batch, where=where), features, keep, split, numbers)
        expected = len(raw[origin]) if keep is None else int(keep.sum())
        if len(splits[split]) == 0 < expected:
            raise WorkbenchError(f"None of the {expected:,} rows of the {split} split of {config.source} can be used: "
                                 f"{task.left_out}.")
        if len(splits[split]) < expected:  # a task may leave rows out (qa: answers not in their context)
            notes.append(f"{expected - len(splits[split]):,} of {expected:,} rows of the {split} split of "
                         f"{config.source} were left out: {task.left_out}.")
    return PreparedData(datasets.DatasetDict(splits), task.name, names, config.source, raw.encodings, notes,
                        raw.sheet_notes())


def _convert(dataset: datasets.Dataset, batch: functools.partial, features: dict[str, Any],
             keep: np.ndarray | None, split: str, numbers: np.ndarray | None = None) -> datasets.Dataset:
    """A batched Arrow map to the standard columns, keeping only the rows where `keep` is True;
    `numbers` (a workbook sheet's: its row number less one, per row) is what rows are named by in errors.

    Subsets are written out rather than selected, so no split carries an indices mapping (which
    `datasets` reads row by row)."""
    converted = dataset.with_format("arrow").map(
        _keep_rows, batched=True, batch_size=BATCH_ROWS, with_indices=True, remove_columns=dataset.column_names,
        features=datasets.Features(features), writer_batch_size=BATCH_ROWS, desc=f"Preparing {split}",
        fn_kwargs={"batch": batch, "keep": keep, "numbers": numbers},
    )
    return converted.with_format(None)


def _keep_rows(table: pa.Table, indices: list[int], batch: functools.partial, keep: np.ndarray | None,
               numbers: np.ndarray | None) -> pa.Table:
    """`batch` on the kept rows; it gets their source row indices (or `numbers` for them) to name rows in errors."""
    rows = np.asarray(indices)
    if keep is not None:
        table, rows = table.filter(pa.array(keep[rows])), rows[keep[rows]]
    return batch(table, rows if numbers is None else numbers[rows])


def _layout(raw: datasets.DatasetDict, config: DataConfig, strata: np.ndarray | None,
            groups: np.ndarray | None) -> dict[str, tuple[str, np.ndarray | None]]:
    """Each output split's source split and row mask (None: all rows): a validation split carved
    from train when there is none (whole groups of rows, when the task groups them), and the
    training rows capped at `max_train_rows`."""
    total = len(raw["train"])
    layout: dict[str, tuple[str, np.ndarray | None]] = {split: (split, None) for split in raw}
    train_rows = np.arange(total)
    if "validation" not in raw:
        if groups is None:
            train_rows, held = _carve(total, strata, config.validation_fraction, config.split_seed)
        else:
            train_rows, held = _carve_groups(groups, config.validation_fraction, config.split_seed)
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


def _carve_groups(groups: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) row indices with every group on one side: whole groups, in a random
    order, are held out until at least ceil(fraction * rows) rows are."""
    rng = np.random.default_rng(seed)
    sizes = np.bincount(groups)
    order = rng.permutation(len(sizes))
    taken = order[: int(np.searchsorted(np.cumsum(sizes[order]), math.ceil(fraction * len(groups)))) + 1]
    held = np.isin(groups, taken)
    return np.flatnonzero(~held), np.flatnonzero(held)


def _mask(total: int, rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(total, dtype=bool)
    mask[rows] = True
    return mask


