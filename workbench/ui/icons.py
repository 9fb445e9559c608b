"""The window's icons, drawn from the Font Awesome font that qtawesome ships.

qtawesome (and qtpy under it) is imported on the first icon asked for, not with the window's
modules: the main window asks for its icons just after it is shown, so they cost start-up nothing.
"""

from __future__ import annotations

import os

from PySide6.QtGui import QIcon

PAGE_ICONS = {
    "Start": "fa5s.home", "Data": "fa5s.table", "Model": "fa5s.project-diagram", "Freeze": "fa5s.snowflake",
    "Train": "fa5s.play-circle", "Runs": "fa5s.history", "Compare": "fa5s.balance-scale",
    "Results": "fa5s.chart-bar", "Try it": "fa5s.keyboard",
}


def icon(name: str, colour: str | None = None) -> QIcon:
    """A Font Awesome icon by qtawesome name (e.g. "fa5s.table"), in `colour` (the palette's text colour if None)."""
    os.environ.setdefault("QT_API", "pyside6")  # qtpy: the binding the app uses, whatever else is installed
    import qtawesome

    return qtawesome.icon(name, color=colour) if colour else qtawesome.icon(name)


def page_icon(page: str, colour: str | None = None) -> QIcon:
    return icon(PAGE_ICONS.get(page, "fa5s.circle"), colour)
