"""Data loading and preparation: raw sources in, standard columns, label ids and splits out."""

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
