"""Pre-flight checks on prepared data, run before any training: what the Data page warns about.

Each check is a plain function over counts or Arrow arrays. `run_preflight` prepares the data and
measures everything once (slow: run it off the UI thread); `preflight_warnings` turns the report
into sentences for any max_length the user then picks, without measuring again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.core.config import DataConfig
from workbench.core.errors import WorkbenchError
from workbench.core.tasks import Task, get_task

if TYPE_CHECKING:
    import datasets

    from workbench.core.data import LengthStats

IMBALANCE_RATIO = 5.0  # warn above it
WEIGHTS_RATIO = 3.0  # suggest class weights above it
WINDOWS_ROWS, WINDOWS_LOST = 0.05, 0.25  # suggest windows when over 5% of texts would lose over 25% of their tokens
_EXAMPLE_TOKENS = 12


@dataclass(frozen=True)
class Imbalance:
    largest: str
    largest_count: int
    smallest: str
    smallest_count: int

    @property
    def ratio(self) -> float:
        return self.largest_count / self.smallest_count if self.smallest_count else math.inf


def imbalance(label_counts: Mapping[str, int], ratio: float = IMBALANCE_RATIO) -> Imbalance | None:
    """The most and the least frequent label, when the first outnumbers the second more than `ratio` times."""
    if len(label_counts) < 2:
        return None
    largest = max(label_counts, key=label_counts.__getitem__)
    smallest = min(label_counts, key=label_counts.__getitem__)
    found = Imbalance(largest, label_counts[largest], smallest, label_counts[smallest])
    return found if found.ratio > ratio else None


def duplicate_count(train_texts: pa.Array | Iterable[str], validation_texts: pa.Array | Iterable[str]) -> int:
    """Validation rows whose text also occurs in the training texts (case and outer spaces ignored)."""
    train, validation = _normalised(train_texts), _normalised(validation_texts)
    return int(pc.sum(pc.is_in(validation, value_set=train.unique())).as_py() or 0)


def split_texts(dataset: datasets.Dataset, task: str) -> pa.ChunkedArray:
    """The text of each prepared row as one string: tokens joined by spaces, a pair joined by a newline."""
    found = get_task(task)
    return found.joined_texts(dataset.with_format("arrow", columns=list(found.text_columns))[:])


def invalid_bio(tag_lists: pa.Array | Sequence[Sequence[int]], names: Sequence[str]) -> list[int]:
    """Rows (0-based) with an I-X tag that follows neither B-X nor I-X, a row's first tag included.

    `tag_lists` holds one list of tag ids per row; `names[id]` is the tag."""
    if isinstance(tag_lists, pa.ChunkedArray):
        tag_lists = tag_lists.combine_chunks()
    elif not isinstance(tag_lists, pa.Array):
        tag_lists = pa.array(tag_lists, pa.list_(pa.int64()))
    ids = pc.list_flatten(tag_lists).to_numpy(zero_copy_only=False)
    if not len(ids):
        return []
    rows = pc.list_parent_indices(tag_lists).to_numpy()
    start = len(names)  # the "previous tag" of a row's first tag
    previous = np.concatenate([[start], ids[:-1]])
    previous[np.concatenate([[True], rows[1:] != rows[:-1]])] = start
    allowed = np.ones((len(names) + 1, len(names)), dtype=bool)
    for tag_id, tag in enumerate(names):
        if tag.startswith("I-"):
            allowed[:, tag_id] = [before in (f"B-{tag[2:]}", tag) for before in names] + [False]
    return np.unique(rows[~allowed[previous, ids]]).tolist()


def entity_counts(tag_counts: Mapping[str, int]) -> dict[str, int]:
    """Entities per type from tag counts: the B- (or S-, U-) tags that start one; without any, all tags of the type."""
    starts: dict[str, int] = {}
    tags: dict[str, int] = {}
    for tag, count in tag_counts.items():
        prefix, _, kind = tag.partition("-")
        if kind:
            tags[kind] = tags.get(kind, 0) + count
            if prefix in ("B", "S", "U"):
                starts[kind] = starts.get(kind, 0) + count
    return starts or tags


@dataclass(frozen=True)
class BioProblem:
    rows: int  # sentences with a misplaced I- tag
    example: str  # the start of the first such sentence


@dataclass
class PreflightReport:
    task: str
    split_counts: dict[str, int]
    label_counts: dict[str, dict[str, int]]  # split -> label -> rows (tags for token tasks)
    duplicates: int  # validation rows whose text is also in train
    invalid_bio: dict[str, BioProblem] = field(default_factory=dict)  # token tasks, by split
    lengths: LengthStats | None = None
    lengths_problem: str | None = None  # why there are no lengths (the backbone's tokenizer did not load)
    left_out: list[str] = field(default_factory=list)  # sentences on rows preparing left out (qa: answers not found)


def run_preflight(config: DataConfig, task: str | Task, backbone: str) -> PreflightReport:
    """Prepare the data as training will, then count, measure token lengths and check it."""
    from workbench.core.data import prepare, token_length_stats
    from workbench.core.model.backbones import backbone_info, load_tokenizer

    task = get_task(task)
    prepared = prepare(config, task)
    splits = prepared.splits
    duplicates = (
        duplicate_count(split_texts(splits["train"], task), split_texts(splits["validation"], task))
        if "validation" in splits else 0
    )
    report = PreflightReport(task.name, prepared.split_counts(), prepared.label_counts(), duplicates,
                             left_out=list(prepared.notes))
    if task.tagged:
        for split, dataset in splits.items():
            rows = invalid_bio(dataset.with_format("arrow", columns=["labels"])[:]["labels"], prepared.label_names)
            if rows:
                tokens = dataset[rows[0]]["tokens"]
                example = " ".join(tokens[:_EXAMPLE_TOKENS]) + (" …" if len(tokens) > _EXAMPLE_TOKENS else "")
                report.invalid_bio[split] = BioProblem(len(rows), example)
    try:
        tokenizer = load_tokenizer(backbone)
        report.lengths = token_length_stats(prepared, tokenizer, backbone_info(backbone).max_positions)
    except WorkbenchError as exc:
        report.lengths_problem = str(exc)
    except OSError:  # transformers reports a folder without tokenizer files this way
        logging.getLogger(__name__).info("Loading the tokenizer of %s failed", backbone, exc_info=True)
        report.lengths_problem = (f"The tokenizer of {backbone} could not be loaded (its files are missing or damaged), "
                                  "so token lengths are not measured.")
    return report


def class_weight_suggestion(report: PreflightReport) -> str | None:
    """A sentence suggesting task.class_weights when the largest class outnumbers the smallest more than
    WEIGHTS_RATIO times in the training split (entity types for token tasks), else None (always for
    qa, whose counts are of answerable and unanswerable questions)."""
    if not get_task(report.task).uses_labels:
        return None
    counts, unit = _training_counts(report)
    found = imbalance(counts, WEIGHTS_RATIO)
    if not found:
        return None
    return (f"'{found.largest}' has {found.largest_count:,} {unit} and '{found.smallest}' only {found.smallest_count:,}; "
            "weighing the loss by the training counts (task.class_weights) gives the rare classes more say.")


def windows_suggestion(report: PreflightReport, max_length: int | None) -> str | None:
    """A sentence suggesting task.windows when more than WINDOWS_ROWS of the training texts of a
    sentence-level task would lose more than WINDOWS_LOST of their tokens to truncation, else None."""
    if get_task(report.task).windows != "optional" or report.lengths is None:
        return None
    limit = max_length or report.lengths.suggested_max_length
    share = report.lengths.cut_share("train", limit, WINDOWS_LOST)
    if share <= WINDOWS_ROWS:
        return None
    return (f"{share:.0%} of training texts would lose more than a quarter of their tokens at max_length {limit}, "
            "and with them what they say there; reading long texts in overlapping windows (task.windows) keeps all of it.")


def _training_counts(report: PreflightReport) -> tuple[dict[str, int], str]:
    """Training counts per class and what they count: entities by type for token tasks, else rows."""
    counts = report.label_counts.get("train", {})
    if get_task(report.task).tagged:
        return entity_counts(counts), "entities"
    return counts, "training rows"


def preflight_warnings(report: PreflightReport, max_length: int | None, windows: bool = False) -> list[str]:
    """One sentence per problem; `max_length` None means the suggested one (the train p95); with
    `windows` (and for qa) long rows are read in windows, which is no problem."""
    task = get_task(report.task)
    warnings: list[str] = list(report.left_out)
    counts, unit = _training_counts(report)
    found = imbalance(counts)
    if found:
        advice = "; class weights can help" if task.one_class_per_row else ""
        warnings.append(
            f"Class imbalance: '{found.largest}' has {found.largest_count:,} {unit}, "
            f"{found.ratio:.1f} times the {found.smallest_count:,} of '{found.smallest}'{advice}."
        )
    if report.lengths is not None and not windows and task.windows != "always":
        limit = max_length or report.lengths.suggested_max_length
        share = report.lengths.truncated_share("train", limit)
        if share > 0:
            warnings.append(f"{share:.1%} of training rows are longer than max_length {limit} tokens and will be cut short.")
    if report.duplicates:
        warnings.append(
            f"{report.duplicates:,} of {report.split_counts.get('validation', 0):,} validation rows also appear in the "
            "training split, so validation scores will look better than they are."
        )
    for split, problem in report.invalid_bio.items():
        warnings.append(
            f"{problem.rows:,} sentences in the {split} split have an I- tag that follows neither B- nor I- "
            f"of the same type (first: \"{problem.example}\")."
        )
    return warnings


def _normalised(texts: pa.Array | Iterable[str]) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    elif not isinstance(texts, pa.Array):
        texts = pa.array(list(texts), pa.string())
    return pc.utf8_lower(pc.utf8_trim_whitespace(texts))
