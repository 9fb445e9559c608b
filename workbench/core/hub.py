"""Fail fast, with one sentence, when something must come from the Hugging Face Hub and cannot."""

from __future__ import annotations

import os
import re
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

from workbench.core.errors import WorkbenchError
from workbench.core.filetypes import DATA_EXTENSIONS

PROBE_SECONDS = 3.0
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?$")
_OFFLINE_VARS = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")


def is_hub_id(name: str) -> bool:
    """A name that is not an existing path and reads as `owner/name` or `name`, not as a file."""
    if not _HUB_ID.match(name) or os.path.exists(os.path.expanduser(name)):
        return False
    return Path(name).suffix.lower() not in DATA_EXTENSIONS


def hub_unreachable_reason() -> str | None:
    """Why the Hub cannot be used now, or None. The probe runs in a thread so a hanging DNS lookup is cut short too."""
    if any(os.environ.get(var, "").upper() in ("1", "ON", "YES", "TRUE") for var in _OFFLINE_VARS):
        return "offline mode is set"
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    answered: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((host, 443), timeout=PROBE_SECONDS).close()
            answered.append(True)
        except OSError:
            answered.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(PROBE_SECONDS)
    return None if answered and answered[0] else f"{host} does not answer"


def hub_offline_error(name: str, kind: str, reason: str = "it does not answer") -> WorkbenchError:
    return WorkbenchError(
        f"'{name}' is not a local {'file or folder' if kind == 'dataset' else 'folder'} and the Hugging Face Hub "
        f"cannot be reached to download the {kind} ({reason}); check the path, or connect to the internet."
    )


def ensure_hub_reachable(name: str, kind: str) -> None:
    """Raise a one-sentence WorkbenchError naming `name` (a dataset, model or metric id) when the Hub is out of reach."""
    reason = hub_unreachable_reason()
    if reason:
        raise hub_offline_error(name, kind, reason)
