"""Where the app finds its resources and writes its runs and caches, from a checkout or as the bundle.

Run from a checkout, resources come from the repository's `resources/` and runs go to `runs/` in
the working folder, as before. Run as the PyInstaller bundle (`sys.frozen`), resources come from
the bundle's own folder, which may be read-only, and runs and caches go to the user's folders
that Qt's QStandardPaths names for the platform (on Linux `~/.local/share/bert-workbench/runs`
and `~/.cache/bert-workbench`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_FOLDER = "bert-workbench"
ICON_SIZES = (256, 128, 64, 48)


def is_bundle() -> bool:
    return bool(getattr(sys, "frozen", False))


RESOURCES = (Path(sys._MEIPASS) if is_bundle() else Path(__file__).resolve().parent.parent) / "resources"
ICONS = RESOURCES / "icons"
DOCS = (Path(sys._MEIPASS) if is_bundle() else Path(__file__).resolve().parent.parent) / "docs"  # Help's pages


def _user_folder(location_name: str) -> Path:
    from PySide6.QtCore import QStandardPaths

    location = getattr(QStandardPaths.StandardLocation, location_name)
    return Path(QStandardPaths.writableLocation(location)) / APP_FOLDER


def default_runs_root() -> str:
    """The folder that holds the runs unless a config or `--runs-root` names another."""
    return str(_user_folder("GenericDataLocation") / "runs") if is_bundle() else "runs"


def use_user_cache() -> None:
    """Point the Hugging Face caches (models, datasets) into the user's cache folder, unless the user
    set them; called by the bundle at start-up, before transformers or datasets read the variables."""
    os.environ.setdefault("HF_HOME", str(_user_folder("GenericCacheLocation") / "huggingface"))
