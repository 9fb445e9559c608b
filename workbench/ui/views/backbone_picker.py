"""The Model page's backbone picker: the engine's curated backbones (core/model/catalogue.py) in a
combo with their sizes, and a description line (languages, what each is good at, whether it
downloads); "Another…" for any Hub id or model folder, typed or chosen below it."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QWidget

from workbench.core.model.catalogue import CATALOGUE, catalogue_entry

OTHER_TEXT = "Another Hub id or a local folder…"
OTHER_DESCRIPTION = "Type any Hub model id or choose a model folder below."


class BackbonePicker(QWidget):
    picked = Signal(str)  # the backbone name of an entry the user chose ("" for another id or folder)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setToolTip("Backbones to start from. Those marked ↓ download from the Hugging Face Hub on first "
                              "use, so they need the internet once.")
        for entry in CATALOGUE:
            mark = " (bundled)" if entry.bundled else " ↓"
            self.combo.addItem(f"{entry.title} · {entry.size()}{mark}", entry.name)
            self.combo.setItemData(self.combo.count() - 1, entry.description(), Qt.ItemDataRole.ToolTipRole)
        self.combo.addItem(OTHER_TEXT, "")
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setEnabled(False)  # greyed, as the page's other hints
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Start from"), 0, 0)
        layout.addWidget(self.combo, 0, 1)
        layout.addWidget(self.description, 1, 1)
        layout.setColumnStretch(1, 1)
        self.combo.activated.connect(self._on_activated)
        self.show_name(CATALOGUE[0].name)

    def show_name(self, name: str) -> None:
        """Select the entry of a backbone name, or "Another…" for any other; not a user edit (no `picked`)."""
        index = self.combo.findData(name.strip()) if catalogue_entry(name) else -1
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(index if index >= 0 else self.combo.count() - 1)
        self._describe()

    def name(self) -> str:
        """The selected entry's backbone name; "" for "Another…"."""
        return self.combo.currentData()

    def _on_activated(self, _index: int) -> None:
        self._describe()
        self.picked.emit(self.name())

    def _describe(self) -> None:
        entry = catalogue_entry(self.name()) if self.name() else None
        self.description.setText(entry.description() if entry else OTHER_DESCRIPTION)
