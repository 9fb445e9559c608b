"""The Data page's source line: a data file, folder or Hub dataset id, typed or chosen in a dialog."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from workbench.core.filetypes import file_dialog_filter
from workbench.ui.settings import last_folder, remember_folder


class SourceBar(QWidget):
    chosen = Signal(str)  # a source to open: typed and entered (or Load), or picked in a dialog

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._field = QLineEdit()
        self._field.setPlaceholderText("A data file or folder (or drop one here), or a Hub dataset id such as imdb")
        load, open_file, open_folder = QPushButton("Load"), QPushButton("Open file…"), QPushButton("Open folder…")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Data:"))
        layout.addWidget(self._field, 1)
        for button in (load, open_file, open_folder):
            layout.addWidget(button)
        self._field.returnPressed.connect(self._on_field_entered)
        load.clicked.connect(self._on_field_entered)
        open_file.clicked.connect(self._on_open_file_clicked)
        open_folder.clicked.connect(self._on_open_folder_clicked)

    def text(self) -> str:
        return self._field.text().strip()

    def set_text(self, text: str) -> None:
        self._field.setText(text)

    def _on_field_entered(self) -> None:
        if self.text():
            self.chosen.emit(self.text())

    def _on_open_file_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a data file", last_folder("data"), file_dialog_filter())
        if path:
            remember_folder("data", path)
            self.chosen.emit(path)

    def _on_open_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of split files or a saved dataset", last_folder("data"))
        if folder:
            remember_folder("data", folder)
            self.chosen.emit(folder)
