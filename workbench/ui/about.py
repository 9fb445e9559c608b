"""Help > About and Help > Documentation: the version, the bundled backbone and its licence, where the
runs are kept, and the documentation pages (the README's docs/*.md, shipped with the bundle too)."""

from __future__ import annotations

import html
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from workbench.core.config import BUNDLED_BACKBONE
from workbench.paths import DOCS, default_runs_root

DISTRIBUTION = "bert-workbench"
BUNDLED_LICENCE = "Apache-2.0"  # sentence-transformers/all-MiniLM-L6-v2's model card, as shipped
DOC_PAGES = {  # the README's documentation, for analysts first
    "The window": "window.md", "Data files": "data.md", "Tasks": "tasks.md", "Training strategies": "training.md",
    "Export and predict": "export.md", "Desktop bundle": "bundle.md", "Command line": "cli.md",
    "Run config reference": "config.md", "What a run writes": "run-folder.md", "Speed": "speed.md",
}


def app_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a checkout on sys.path without an install
        return "0.1.0 (not installed)"


def model_licence(folder: Path) -> str:
    """The `license:` of a model card's front matter (README.md), upper-cased as SPDX writes it; the shipped
    MiniLM's if the card cannot be read."""
    try:
        lines = (folder / "README.md").read_text(encoding="utf-8").splitlines()[:40]
    except OSError:
        return BUNDLED_LICENCE
    for line in lines:
        if line.strip().lower().startswith("license:"):
            value = line.split(":", 1)[1].strip()
            return "Apache-2.0" if value.lower() == "apache-2.0" else value
    return BUNDLED_LICENCE


def bundled_licence() -> str:
    from workbench.core.model.backbones import bundled_backbones

    return model_licence(bundled_backbones()[BUNDLED_BACKBONE])


def runs_folder() -> Path:
    return Path(default_runs_root()).expanduser().resolve()


def doc_path(page: str) -> Path:
    return DOCS / DOC_PAGES[page]


def open_doc(page: str) -> bool:
    """Open a documentation page with the system's viewer for Markdown (or text) files."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(doc_path(page))))


def about_html() -> str:
    name = BUNDLED_BACKBONE.removeprefix("bundled:")
    docs = " · ".join(f'<a href="{QUrl.fromLocalFile(str(doc_path(page))).toString()}">{html.escape(page)}</a>'
                      for page in DOC_PAGES if doc_path(page).is_file())
    return (
        f"<h3>BERT Workbench {html.escape(app_version())}</h3>"
        "<p>Fine-tune BERT-family encoders: open data, pick a backbone and a head, freeze layers or add LoRA, "
        "train, compare, export a model any <code>transformers</code> user can load.</p>"
        f"<p><b>Bundled backbone:</b> {html.escape(name)} (sentence-transformers), licence "
        f"{html.escape(bundled_licence())}. Backbones you pick carry their own licences (see each model card).</p>"
        f"<p><b>Runs are kept in:</b> <code>{html.escape(str(runs_folder()))}</code> unless a run config names "
        "another folder (output.runs_root).</p>"
        f"<p><b>Documentation:</b> {docs or 'the docs/ folder of the source (not found here)'}</p>"
        "<p>The workbench itself is MIT-licensed.</p>"
    )


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("About BERT Workbench")
        self.text = QLabel(about_html(), wordWrap=True, textFormat=Qt.TextFormat.RichText, openExternalLinks=True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.text.setMinimumWidth(520)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
