"""What the Train and Compare pages share: a worker of their own, and a banner over a column of settings,
buttons and progress beside the live curves over a lower panel."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSplitter, QVBoxLayout, QWidget

from workbench.ui import theme
from workbench.ui.views.curves import CurvesWidget
from workbench.ui.worker import TrainingWorker

BANNER_STYLE, WARNING_STYLE = theme.BANNERS["light"]["error"], theme.BANNERS["light"]["warning"]  # see theme.banner_style



class RunPage(QWidget):
    """The base of a page that trains. A subclass builds its settings, buttons and lower panel, hands them
    to `_lay_out`, and answers its worker in `_set_running`, `_on_worker_event_received` and
    `_on_worker_finished`."""

    running_changed = Signal(bool)
    PLACEHOLDER = "Press Start: the loss and validation curves appear here."

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.worker = TrainingWorker(self)
        self._banner_kind = "error"
        self.banner = QLabel(wordWrap=True, styleSheet=theme.banner_style(), visible=False)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(format="%v / %m steps", value=0, visible=False)  # shown from the first run on
        self.progress_label = QLabel(" ")
        self.curves = CurvesWidget(placeholder=self.PLACEHOLDER)
        self.worker.event_received.connect(self._on_worker_event_received)
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.running_changed.connect(self._on_worker_running_changed)

    def _lay_out(self, settings: QWidget, buttons: Sequence[QPushButton], lower: QWidget, *, fill: bool,
                 heights: tuple[int, int], banner_button: QPushButton | None = None) -> None:
        """`fill`: the settings take the column's spare height (else it is left below the progress);
        `heights`: the curves' and `lower`'s to start with."""
        banner = QHBoxLayout()
        banner.addWidget(self.banner, 1)
        if banner_button is not None:
            banner.addWidget(banner_button, 0, Qt.AlignmentFlag.AlignTop)

        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(settings, 1 if fill else 0)
        column.addLayout(row)
        column.addWidget(self.progress)
        column.addWidget(self.progress_label)
        if not fill:
            column.addStretch(1)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.curves)
        right.addWidget(lower)
        right.setSizes(list(heights))

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([330, 900])
        page = QVBoxLayout(self)
        page.addLayout(banner)
        page.addWidget(split, 1)

    def _show_banner(self, text: str, kind: str = "error") -> None:
        """`kind`: "error" or "warning" (its colours follow the light or dark palette)."""
        self._banner_kind = kind
        self.banner.setStyleSheet(theme.banner_style(kind, self))
        self.banner.setText(text)
        self.banner.show()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.banner.setStyleSheet(theme.banner_style(self._banner_kind, self))

    def _set_running(self, running: bool) -> None:
        """Enable the page's controls for a run going (True) or none."""
        raise NotImplementedError

    @Slot(bool)
    def _on_worker_running_changed(self, running: bool) -> None:
        self._set_running(running)
        self.running_changed.emit(running)

    def _on_worker_event_received(self, event: object) -> None:
        raise NotImplementedError

    def _on_worker_finished(self, result: object) -> None:
        """`result`: the run's last event (a RunFailed when it failed)."""
        raise NotImplementedError
