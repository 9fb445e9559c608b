"""What the GUI remembers between sessions (QSettings): last folders, recent files, runs and backbones.

The application and organisation names set in `app.main` pick the settings file; tests point
QSettings at a temporary folder instead.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

RECENT_LIMIT = 8


def settings() -> QSettings:
    return QSettings()


def last_folder(kind: str) -> str:
    """The folder a file dialog of this kind (e.g. "configs", "data", "models") last used; "" if none."""
    return str(settings().value(f"folders/{kind}", "", type=str))


def remember_folder(kind: str, path: str | Path) -> None:
    """Remember a chosen file's folder (or a chosen folder) as the start of the next dialog of this kind."""
    path = Path(path)
    settings().setValue(f"folders/{kind}", str(path if path.is_dir() else path.parent))


def recent_files() -> list[str]:
    return _recent("recent/files")


def add_recent_file(path: str | Path) -> None:
    _add_recent("recent/files", str(Path(path).resolve()))


def recent_runs() -> list[str]:
    """Run folders trained or reopened here, newest first (the start page offers them)."""
    return _recent("recent/runs")


def add_recent_run(path: str | Path) -> None:
    _add_recent("recent/runs", str(Path(path).resolve()))


def recent_backbones() -> list[str]:
    return _recent("recent/backbones")


def add_recent_backbone(name: str) -> None:
    _add_recent("recent/backbones", name)


def passed_over_runs() -> set[str]:
    """Interrupted runs the window has offered to resume once already (resumed or dismissed)."""
    return set(_recent("runs/interrupted_offered"))


def pass_over_run(path: str | Path) -> None:
    items = [str(path)] + [old for old in _recent("runs/interrupted_offered") if old != str(path)]
    settings().setValue("runs/interrupted_offered", items[:100])


def _recent(key: str) -> list[str]:
    return [str(item) for item in settings().value(key, [], type=list)]


def _add_recent(key: str, item: str) -> None:
    items = [item] + [old for old in _recent(key) if old != item]
    settings().setValue(key, items[:RECENT_LIMIT])
