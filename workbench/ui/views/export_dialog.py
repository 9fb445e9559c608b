"""The export dialog: where to write the model, whether to add ONNX (and int8), and what came out.

The export runs off the UI thread through `workbench.core.export.folder.export_run`, which writes to a
temporary folder and renames it into place; over an existing folder it asks first.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
    QPushButton, QVBoxLayout, QWidget,
)

from workbench.core.export.folder import ExportReport, export_run
from workbench.core.model.lora import ADAPTER_FILES
from workbench.core.runs import ADAPTER
from workbench.ui import settings
from workbench.ui.background import BackgroundCall, StatusLine


class ExportDialog(QDialog):
    exported = Signal(object)  # ExportReport

    def __init__(self, run_dir: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Export {run_dir.name}")
        self._run_dir = run_dir
        self.destination = QLineEdit(str(run_dir / "export"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        where = QHBoxLayout()
        where.addWidget(self.destination, 1)
        where.addWidget(browse)
        self.onnx = QCheckBox("ONNX model, checked against PyTorch on validation rows")
        self.int8 = QCheckBox("int8 quantized ONNX, with its accuracy change and speed-up")
        self.int8.toggled.connect(lambda on: on and self.onnx.setChecked(True))
        self.onnx.toggled.connect(lambda on: on or self.int8.setChecked(False))
        self.adapter = QCheckBox("LoRA adapter alone (adapter/), which peft loads onto the base model")
        has_adapter = all((run_dir / ADAPTER / name).is_file() for name in ADAPTER_FILES)
        self.adapter.setEnabled(has_adapter)
        self.adapter.setToolTip("The exported model has the adapters merged in either way." if has_adapter
                                else "This run was not trained with LoRA adapters.")
        self.report = QLabel(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = StatusLine()
        self._call = BackgroundCall(self)
        self._call.returned.connect(self._on_call_returned)
        self._call.busy_changed.connect(self._on_call_busy_changed)
        self.status.watch(self._call)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Folder", where)
        form.addRow("", self.onnx)
        form.addRow("", self.int8)
        form.addRow("", self.adapter)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("A Hugging Face folder (safetensors, tokenizer, config with the label names and a "
                                "model card) that <code>transformers.pipeline</code> loads."))
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.report)
        layout.addWidget(self.buttons)
        self.resize(640, 260)

    def start_export(self) -> bool:
        """Export with the dialog's settings; asks before replacing an existing folder. False if declined."""
        dest = Path(self.destination.text()).expanduser()
        force = dest.exists()
        if force:
            answer = QMessageBox.question(self, "Replace the export", f"{dest} already exists. Replace it?",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self.report.clear()
        what = "ONNX export and parity check" if self.onnx.isChecked() else "export"
        self.status.show_busy(f"Writing the {what} to {dest}…")
        self._call.start(export_run, self._run_dir, dest, self.onnx.isChecked(), self.int8.isChecked(), force,
                         None, self.adapter.isChecked())
        return True

    @Slot()
    def _on_export_clicked(self) -> None:
        self.start_export()

    @Slot()
    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into", settings.last_folder("exports"))
        if folder:
            settings.remember_folder("exports", folder)
            self.destination.setText(str(Path(folder) / f"{self._run_dir.name}-export"))

    @Slot(bool)
    def _on_call_busy_changed(self, busy: bool) -> None:
        self.export_button.setEnabled(not busy)

    @Slot(object)
    def _on_call_returned(self, report: ExportReport) -> None:
        lines = [f"Wrote {report.dest}: {', '.join(report.files)}."]
        if report.onnx is not None:
            lines.append(report.onnx.summary() + ".")
        self.report.setText("<br>".join(lines))
        self.exported.emit(report)
