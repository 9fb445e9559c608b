"""Data: raw sources in (CSV, JSON, Parquet, Excel and OpenDocument workbooks (`workbooks`), text
encodings, CoNLL, SQuAD, Hub ids), the task's standard columns, label ids and splits out (`prepare`),
token-length statistics, the tokenised splits a run trains on (`encoding`) and the checks before a
run (`preflight`).

May import: `model` (a backbone's tokenizer), `tasks` and the top of core.
"""

from workbench.core.data.formats import RawData, is_hub_id, load_raw
from workbench.core.data.prepare import PreparedData, guess_task, prepare
from workbench.core.data.stats import LengthStats, token_length_stats

__all__ = [
    "LengthStats",
    "PreparedData",
    "RawData",
    "guess_task",
    "is_hub_id",
    "load_raw",
    "prepare",
    "token_length_stats",
]
