"""The Data page's source line: a data file, folder or Hub dataset id, typed or chosen in a dialog, and
for a workbook with several sheets the sheet to read."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from workbench.core.filetypes import file_dialog_filter
from workbench.ui.settings import last_folder, remember_folder


class SourceBar(QWidget):
    chosen = Signal(str)  # a source to open: typed and entered (or Load), or picked in a dialog
    sheet_picked = Signal(object)  # a sheet name, or None: the workbook's sheets named train/validation/test as splits

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
        self._sheet_label, self._sheet = QLabel("Sheet:"), QComboBox()
        self._sheet.setToolTip("The workbook's sheet to read (data.sheet)")
        self._sheet.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        layout.addWidget(self._sheet_label)
        layout.addWidget(self._sheet)
        self.set_sheets(())
        self._sheet.activated.connect(self._on_sheet_activated)
        self._field.returnPressed.connect(self._on_field_entered)
        load.clicked.connect(self._on_field_entered)
        open_file.clicked.connect(self._on_open_file_clicked)
        open_folder.clicked.connect(self._on_open_folder_clicked)

    def text(self) -> str:
        return self._field.text().strip()

    def set_text(self, text: str) -> None:
        self._field.setText(text)

    def set_sheets(self, sheets: tuple[str, ...] | list[str], current: str | None = None, splits: bool = False) -> None:
        """Offer the workbook's sheets (hidden for one sheet or none); `splits`: its sheets named after
        splits are read as the splits, offered first as the choice None."""
        self._sheet.clear()
        if splits:
            self._sheet.addItem("train / validation / test sheets as splits", None)
        for name in sheets:
            self._sheet.addItem(name, name)
        index = self._sheet.findData(current)
        self._sheet.setCurrentIndex(max(index, 0))
        shown = len(sheets) > 1
        self._sheet_label.setVisible(shown)
        self._sheet.setVisible(shown)

    def sheet_picker(self) -> QComboBox:
        return self._sheet

    def _on_field_entered(self) -> None:
        if self.text():
            self.chosen.emit(self.text())

    def _on_sheet_activated(self) -> None:
        self.sheet_picked.emit(self._sheet.currentData())

    def ask_for_file(self) -> None:
        """Open the "Open a data file" dialog (File > Open data…, Ctrl+O)."""
        self._on_open_file_clicked()

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
