"""What the Data page opens, off the UI thread, and the column names it looks for: a source loaded
with its task guessed from the columns picked, and the pre-flight check of a mapping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.core.config import DataConfig
    from workbench.core.data import RawData
    from workbench.core.data.preflight import PreflightReport

TEXT_NAMES = ("text", "sentence", "tokens", "words", "sentence1", "question1", "premise", "question", "content")
PAIR_NAMES = ("text_pair", "sentence2", "question2", "hypothesis", "text2")
LABEL_NAMES = ("label", "labels", "tags", "ner_tags", "category", "class", "intent", "target")
QA_NAMES = (("question",), ("context",), ("answers", "answer"))  # question, context, answers: SQuAD's names


@dataclass
class Opened:
    source: str
    raw: RawData  # with the encoding each file was read in
    columns: list[str]
    guessed_task: str  # for the columns picked by `pick_column`
    sheet: str | None = None  # the data.sheet it was opened with
    sheets: tuple[str, ...] = ()  # a workbook's sheets (the training file's, in a folder), to pick from
    read_sheet: str | None = None  # the sheet the training split was read from
    split_sheets: bool = False  # the workbook's sheets named train/validation/test were read as the splits


def pick_column(columns: list[str], wanted: str | None, names: tuple[str, ...]) -> str | None:
    """`wanted` if the data has it, else the first usual name (any case) it has."""
    if wanted in columns:
        return wanted
    lowered = {column.lower(): column for column in columns}
    return next((lowered[name] for name in names if name in lowered), None)


def usual_names(task: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The usual names of the text, second text and label columns of `task`."""
    return QA_NAMES if task == "qa" else (TEXT_NAMES, PAIR_NAMES, LABEL_NAMES)


def open_source(source: str, text: str | None, label: str | None, sheet: str | None = None) -> Opened:
    from workbench.core.data import guess_task, load_raw

    raw = load_raw(source, sheet)
    columns = next(iter(raw.values())).column_names
    text = pick_column(columns, text, TEXT_NAMES) or columns[0]
    label = pick_column(columns, label, LABEL_NAMES) or columns[-1]
    read = raw.sheets.get("train")
    split_sheets = sheet is None and len({item.path for item in raw.sheets.values()}) == 1 < len(raw.sheets)
    return Opened(source, raw, columns, guess_task(raw, text, label), sheet, read.sheets if read else (),
                  read.sheet if read else None, split_sheets)


def check_data(config: DataConfig, task: str, backbone: str) -> PreflightReport:
    from workbench.core.data.preflight import run_preflight

    return run_preflight(config, task, backbone)
