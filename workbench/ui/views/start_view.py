"""The start page: open your own data (a file, a folder, a Hub dataset id, or drop one here), try one of
the bundled demos, or reopen a recent run or run config. `workbench --start` and File > Start page show it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
    QSizePolicy, QToolButton, QVBoxLayout, QWidget,
)

from workbench.core.filetypes import file_dialog_filter
from workbench.ui import settings

DEMOS = {  # task -> (title, what it shows), the configs of workbench.demo
    "single_label": ("Support tickets", "Classification: 400 tickets in four queues."),
    "token": ("Named entities", "Token classification (NER) on a CoNLL sample."),
    "qa": ("Question answering", "Extractive QA on a SQuAD v2.0 sample."),
}
DEMO_ICONS = {"single_label": "fa5s.ticket-alt", "token": "fa5s.tags", "qa": "fa5s.question-circle"}
PATH_ROLE = Qt.ItemDataRole.UserRole
KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # "run" or "config"


class StartView(QWidget):
    source_chosen = Signal(str)  # a data file, folder or Hub id to open on the Data page
    demo_chosen = Signal(str)  # a demo's task
    config_chosen = Signal(str)  # a run config file to open
    run_chosen = Signal(str)  # a run folder to reopen (its config, results and model)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        title = QLabel("<h2>What would you like to train?</h2>")
        hint = QLabel("Open your own data, try a demo, or pick up where you left off. Ctrl+1…8 go to the steps.")
        hint.setEnabled(False)

        self.open_file_button = QPushButton("Open a file…", toolTip="CSV, Excel workbook, JSON, Parquet, CoNLL or SQuAD.")
        self.open_folder_button = QPushButton("Open a folder…", toolTip="Split files named train / validation / test, "
                                              "or a dataset saved with save_to_disk.")
        self.hub = QLineEdit(placeholderText="or a Hub dataset id, e.g. imdb")
        self.hub_button = QPushButton("Open")
        self.drop_hint = QLabel("…or drop a data file or folder anywhere on this page.",
                                alignment=Qt.AlignmentFlag.AlignCenter)
        self.drop_hint.setEnabled(False)
        data = QGroupBox("Open your data")
        data_layout = QVBoxLayout(data)
        data_layout.addWidget(self.open_file_button)
        data_layout.addWidget(self.open_folder_button)
        hub_row = QHBoxLayout()
        hub_row.addWidget(self.hub, 1)
        hub_row.addWidget(self.hub_button)
        data_layout.addLayout(hub_row)
        data_layout.addWidget(self.drop_hint)
        data_layout.addStretch(1)

        demos = QGroupBox("Try a demo")
        demo_layout = QVBoxLayout(demos)
        self.demo_buttons: dict[str, QToolButton] = {}
        for task, (name, what) in DEMOS.items():
            button = QToolButton(text=f"{name}\n{what}", toolTip=f"Open the bundled {name.lower()} demo on the Data page.")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setIconSize(QSize(28, 28))
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            button.clicked.connect(lambda checked=False, t=task: self.demo_chosen.emit(t))
            demo_layout.addWidget(button)
            self.demo_buttons[task] = button
        demo_layout.addStretch(1)

        recent = QGroupBox("Reopen")
        recent_layout = QVBoxLayout(recent)
        self.recent = QListWidget(toolTip="Double-click (or Enter) to reopen.")
        self.recent.setMinimumHeight(200)
        self.recent_empty = QLabel("Runs you train and run configs you save appear here.", wordWrap=True)
        self.recent_empty.setEnabled(False)
        recent_layout.addWidget(self.recent, 1)
        recent_layout.addWidget(self.recent_empty)

        columns = QGridLayout()
        for column, box in enumerate((data, demos, recent)):
            columns.addWidget(box, 0, column)
            columns.setColumnStretch(column, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addSpacing(12)
        layout.addLayout(columns)
        layout.addStretch(1)

        self.open_file_button.clicked.connect(self._on_open_file_clicked)
        self.open_folder_button.clicked.connect(self._on_open_folder_clicked)
        self.hub.returnPressed.connect(self._on_hub_entered)
        self.hub_button.clicked.connect(self._on_hub_entered)
        self.recent.itemActivated.connect(self._on_recent_activated)
        self.refresh()

    def refresh(self) -> None:
        """List the recent runs and run configs that still exist, newest first."""
        self.recent.clear()
        for kind, paths, test in (("run", settings.recent_runs(), Path.is_dir),
                                  ("config", settings.recent_files(), Path.is_file)):
            for path in paths:
                if not test(Path(path)):
                    continue
                item = QListWidgetItem(f"{'Run' if kind == 'run' else 'Config'}: {Path(path).name}")
                item.setToolTip(path)
                item.setData(PATH_ROLE, path)
                item.setData(KIND_ROLE, kind)
                self.recent.addItem(item)
        self.recent_empty.setVisible(self.recent.count() == 0)

    def show_icons(self) -> None:
        from workbench.ui.icons import icon

        for task, button in self.demo_buttons.items():
            button.setIcon(icon(DEMO_ICONS[task]))
        self.open_file_button.setIcon(icon("fa5s.file-alt"))
        self.open_folder_button.setIcon(icon("fa5s.folder-open"))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.source_chosen.emit(event.mimeData().urls()[0].toLocalFile())
        event.acceptProposedAction()

    def _on_open_file_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a data file", settings.last_folder("data"), file_dialog_filter())
        if path:
            settings.remember_folder("data", path)
            self.source_chosen.emit(path)

    def _on_open_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of split files or a saved dataset",
                                                  settings.last_folder("data"))
        if folder:
            settings.remember_folder("data", folder)
            self.source_chosen.emit(folder)

    def _on_hub_entered(self) -> None:
        if self.hub.text().strip():
            self.source_chosen.emit(self.hub.text().strip())

    def _on_recent_activated(self, item: QListWidgetItem) -> None:
        signal = self.run_chosen if item.data(KIND_ROLE) == "run" else self.config_chosen
        signal.emit(item.data(PATH_ROLE))
