"""The GUI entry point: `workbench` with no arguments, or `python -m workbench`."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from workbench.ui.main_window import APP_TITLE, MainWindow

ORGANIZATION = "bert-workbench"


def main(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName(APP_TITLE)
    app.setOrganizationName(ORGANIZATION)
    window = MainWindow()
    window.show()
    return app.exec()
