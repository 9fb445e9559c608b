"""The GUI entry point: `workbench` with no arguments, or `python -m workbench`."""

from __future__ import annotations

import sys

from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from workbench.paths import ICON_SIZES, ICONS
from workbench.ui.main_window import APP_TITLE, MainWindow
from workbench.ui.theme import follow_system_scheme

ORGANIZATION = "bert-workbench"


def collect_garbage_on_ui_thread() -> GarbageCollector:
    """Python's cyclic garbage collection from a UI-thread timer only (keep the returned object).

    An automatic collection runs in whichever thread happens to allocate, the training thread or a
    pool thread as well, and one there can delete Qt objects caught in cycles off the UI thread,
    which crashes Qt later. pyqtgraph's collector turns automatic collection off and collects, by the
    same thresholds, every half second on the UI thread.
    """
    return GarbageCollector(interval=0.5)


def app_icon() -> QIcon:
    """The app's icon, from the PNGs that packaging/render_icons.py draws from resources/icons/workbench.svg."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(ICONS / f"workbench-{size}.png"), QSize(size, size))
    return icon


def application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, or a new one named for the app (the names pick the settings file); with the icon."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv if argv is None else argv)
        app.setApplicationName(APP_TITLE)
        app.setOrganizationName(ORGANIZATION)
        follow_system_scheme(app)  # the system's light or dark scheme, and its changes
    app.setWindowIcon(app_icon())
    return app


def main(argv: list[str] | None = None, start_page: bool = False) -> int:
    """The window on the bundled demo's Data page (the README's tour), or on the start page (`workbench --start`)."""
    app = application(argv)
    collector = collect_garbage_on_ui_thread()  # noqa: F841 - collects as long as the app runs
    window = MainWindow(start_page=start_page)
    window.show()
    return app.exec()
