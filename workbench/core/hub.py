"""Fail fast, with one sentence, when something must come from the Hugging Face Hub and cannot."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

from workbench.core.errors import WorkbenchError

HUB_HOST = "huggingface.co"
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?$")
_FILE_SUFFIXES = {".csv", ".tsv", ".txt", ".json", ".jsonl", ".parquet", ".conll", ".iob", ".bio", ".arrow"}


def is_hub_id(name: str) -> bool:
    """A name that is not an existing path and looks like `owner/name` or `name`, not like a file."""
    if not name or Path(name).expanduser().exists():
        return False
    return bool(_HUB_ID.match(name)) and Path(name).suffix.lower() not in _FILE_SUFFIXES


def hub_offline() -> bool:
    return any(os.environ.get(var, "").lower() in ("1", "true", "yes", "on")
               for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"))


def ensure_hub_reachable(what: str, timeout: float = 3.0) -> None:
    """Raise a WorkbenchError naming `what` (e.g. "the model 'bert-base-cased'") if the Hub is out of reach."""
    reason = None
    if hub_offline():
        reason = "offline mode is set (HF_HUB_OFFLINE)"
    else:
        try:
            socket.create_connection((HUB_HOST, 443), timeout=timeout).close()
        except OSError:
            reason = f"{HUB_HOST} cannot be reached from this machine"
    if reason:
        raise WorkbenchError(f"Cannot fetch {what} from the Hugging Face Hub: {reason}; use a local folder instead.")
