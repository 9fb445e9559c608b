"""Data: raw sources in (CSV, JSON, Parquet, Excel and OpenDocument workbooks (`workbooks`), text
encodings, CoNLL, SQuAD, Hub ids), the task's standard columns, label ids and splits out (`prepare`),
token-length statistics, the tokenised splits a run trains on (`encoding`) and the checks before a
run (`preflight`).

May import: `model` (a backbone's tokenizer), `tasks` and the top of core.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what the names below are; they load on first use (datasets takes ~2 s to import)
    from workbench.core.data.formats import RawData, is_hub_id, load_raw
    from workbench.core.data.preparation import PreparedData, guess_task, prepare
    from workbench.core.data.stats import LengthStats, token_length_stats

_HOMES = {"RawData": "formats", "is_hub_id": "formats", "load_raw": "formats", "PreparedData": "preparation",
          "guess_task": "preparation", "prepare": "preparation", "LengthStats": "stats", "token_length_stats": "stats"}
__all__ = ["LengthStats", "PreparedData", "RawData", "guess_task", "is_hub_id", "load_raw", "prepare",
           "token_length_stats"]


def __getattr__(name: str):
    """The package's names, imported from their modules when first asked for, so that importing a
    light module of the package (preflight, charsets) does not import datasets."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
