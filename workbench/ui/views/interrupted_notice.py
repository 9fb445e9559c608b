"""The bar the window shows at start when a run was interrupted (the window killed, the computer down):
which run, from which step Resume continues it, and Resume or Dismiss. Each run is offered once."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from workbench.core.runs import interrupted_run
from workbench.ui import settings, theme
from workbench.ui.background import BackgroundCall


class InterruptedNotice(QWidget):
    resume_requested = Signal(object)  # RunSummary
    checked = Signal()  # the runs folder was read (whether or not a run is offered)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.run = None
        self.label = QLabel(wordWrap=True)
        self.resume_button = QPushButton("Resume", toolTip="Continue the run from its last checkpoint on the Train page.")
        self.dismiss_button = QPushButton("Dismiss", toolTip="Leave it; the Runs page can still resume it.")
        self.resume_button.clicked.connect(self._on_resume_button_clicked)
        self.dismiss_button.clicked.connect(self._on_dismiss_button_clicked)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.resume_button)
        layout.addWidget(self.dismiss_button)
        self._listing = BackgroundCall(self)  # reads every run folder: not on the UI thread
        self._listing.returned.connect(self._on_listing_returned)
        self._listing.failed.connect(self.checked)
        self.hide()

    def check(self, runs_root: str | Path) -> None:
        self._listing.start(interrupted_run, Path(runs_root).expanduser(), settings.passed_over_runs())

    @Slot(object)
    def _on_listing_returned(self, found: object) -> None:
        if found is not None:
            self.run, sentence = found
            self.label.setText(sentence)
            self.label.setStyleSheet(theme.banner_style("warning", self))  # in the light or dark palette's colours
            self.show()
        self.checked.emit()

    def _pass_over(self) -> None:
        settings.pass_over_run(self.run.path)
        self.hide()

    @Slot()
    def _on_resume_button_clicked(self) -> None:
        self._pass_over()
        self.resume_requested.emit(self.run)

    @Slot()
    def _on_dismiss_button_clicked(self) -> None:
        self._pass_over()
