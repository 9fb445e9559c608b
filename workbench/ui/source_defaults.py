"""A source the user opens in the window gets the engine's defaults, not the settings of the config
shown before it (the demo's, when the window opened on it).

The main window remembers the config it last filled the pages with. When the user opens another
source, every setting that differs from it is the user's edit; those are kept (and stay kept for the
rest of the window session), and every other setting goes back to its `RunConfig` default: `auto`
(empty) where the engine sizes it, such as the epochs and the learning rate. The source itself, its
sheet, its columns and its task are what the Data page just opened, and the run is named after the
data. No Qt here: the main window calls these.
"""

from __future__ import annotations

import copy
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from workbench.core.config import DataConfig, RunConfig
from workbench.core.hub import is_hub_id

# What the Data page sets from the source it opened, not from the config shown before.
SOURCE_FIELDS = ("data.source", "data.sheet", "data.text_column", "data.text_pair_column", "data.label_column",
                 "task.type")
# Where runs go is the window's place, not a setting of the data: never reset.
KEPT_FIELDS = ("output.runs_root", "schema_version")
RUN_NAME = "output.run_name"


def leaves(config: Any, prefix: str = "") -> dict[str, Any]:
    """Every setting of a config as `section.field` -> value."""
    out: dict[str, Any] = {}
    for f in fields(config):
        value = getattr(config, f.name)
        if is_dataclass(value):
            out |= leaves(value, f"{prefix}{f.name}.")
        else:
            out[f"{prefix}{f.name}"] = value
    return out


def changed_fields(before: RunConfig, after: RunConfig) -> set[str]:
    """The settings whose value differs between the two configs."""
    old, new = leaves(before), leaves(after)
    return {path for path, value in new.items() if old.get(path) != value}


def _get(config: RunConfig, path: str) -> Any:
    section, _, name = path.rpartition(".")
    owner = getattr(config, section) if section else config
    return getattr(owner, name)


def _set(config: RunConfig, path: str, value: Any) -> None:
    section, _, name = path.rpartition(".")
    setattr(getattr(config, section) if section else config, name, copy.deepcopy(value))


def data_name(data: DataConfig) -> str:
    """The data's short name: a file's stem (and the sheet picked), a folder's name, a Hub id's name."""
    source = data.source.strip().rstrip("/\\")
    if is_hub_id(source):
        name = source.rsplit("/", 1)[-1]
    else:
        path = Path(source).expanduser()
        name = path.name if path.is_dir() else path.stem
    if data.sheet:
        name = f"{name}-{data.sheet}"
    return name or "data"


def defaults_for_source(opened: RunConfig, edited: set[str], keep_all: bool = False) -> RunConfig:
    """The config to show for a source the user just opened: `opened` (what the pages hold now, with
    the new source) with every setting outside `edited` back at its default, unless `keep_all` (the
    settings came from a run config the user opened); the run named after the data either way."""
    if keep_all:
        config = copy.deepcopy(opened)
    else:
        config = RunConfig()
        for path in (*edited, *SOURCE_FIELDS, *KEPT_FIELDS):
            _set(config, path, _get(opened, path))
    config.output.run_name = data_name(config.data)
    return config


def reset_note(config: RunConfig, kept: list[str], kept_from: str | None = None) -> str:
    """One line on what opening the source did to the settings."""
    name = data_name(config.data)
    shown = Path(config.data.source).name or config.data.source
    if config.data.sheet:
        shown = f"{shown} (sheet {config.data.sheet})"
    if kept_from:
        what = f"Settings kept from {kept_from} for {shown}"
    else:
        what = f"Settings reset to the defaults for {shown}"
        if kept:
            what += f", except the ones you changed ({', '.join(sorted(kept))})"
    return f"{what}; the run will be named {name}."
