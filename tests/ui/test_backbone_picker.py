"""The Model page's backbone picker: the engine's curated list, the bundled one first and selected;
picking an entry sets backbone.name and shows its description; offline, a Hub entry fails fast with the
engine's sentence and downloads nothing; typed ids and folders still work."""

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QRadioButton

from tests.ui.pages_fixtures import WAIT_MS, idle_pool, tiny_backbone  # noqa: F401
from workbench.core.config import BUNDLED_BACKBONE, RunConfig
from workbench.core.hub import hub_offline_error
from workbench.core.model.catalogue import CATALOGUE, catalogue_entry
from workbench.ui.views.backbone_picker import OTHER_DESCRIPTION, BackbonePicker
from workbench.ui.views.model_view import ModelView

pytestmark = pytest.mark.usefixtures("idle_pool")


@pytest.fixture
def view(qtbot) -> ModelView:
    view = ModelView()
    qtbot.addWidget(view)
    view.show()
    return view


def picker(view: ModelView) -> BackbonePicker:
    return view.findChild(BackbonePicker)


def pick(view: ModelView, name: str) -> None:
    """Choose an entry as the user does (the combo's `activated`)."""
    combo = picker(view).combo
    index = combo.findData(name)
    assert index >= 0, name
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def backbone_name(view: ModelView) -> str:
    out = RunConfig()
    view.update_config(out)
    return out.backbone.name


def test_the_bundled_backbone_is_picked_by_default_with_its_description(qtbot, view):
    with qtbot.waitSignal(view.info_shown, timeout=WAIT_MS):
        view.show_config(RunConfig())
    assert picker(view).name() == BUNDLED_BACKBONE
    assert picker(view).description.text() == CATALOGUE[0].description()
    assert picker(view).description.text().startswith("English · Small and fast")
    assert picker(view).combo.currentText() == "all-MiniLM-L6-v2 · 22.7M parameters (bundled)"
    assert picker(view).description.text().endswith("short texts. Bundled: no download.")


def test_picking_a_hub_backbone_offline_sets_its_name_and_fails_fast(qtbot, view, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    view.show_config(RunConfig())
    started = time.perf_counter()
    with qtbot.waitSignal(view.changed):
        pick(view, "roberta-base")
    assert backbone_name(view) == "roberta-base"
    assert picker(view).description.text() == catalogue_entry("roberta-base").description()
    assert picker(view).description.text().startswith("English · BERT pretrained longer")
    assert picker(view).combo.currentText() == "RoBERTa base · 125M parameters ↓"
    hub = next(w for w in view.findChildren(QLineEdit) if "owner/name" in w.placeholderText())
    assert hub.text() == "roberta-base"
    assert next(b for b in view.findChildren(QRadioButton) if b.text() == "Hub id").isChecked()
    qtbot.waitUntil(lambda: view.error() != "", timeout=WAIT_MS)
    assert time.perf_counter() - started < 10  # no download is tried
    assert view.error() == str(hub_offline_error("roberta-base", "model", "offline mode is set"))
    assert set(view.info().values()) == {"–"}

    with qtbot.waitSignal(view.info_shown, timeout=WAIT_MS):  # and back to the bundled one
        pick(view, BUNDLED_BACKBONE)
    assert backbone_name(view) == BUNDLED_BACKBONE and view.error() == ""
    assert next(b for b in view.findChildren(QRadioButton) if b.text() == "Bundled").isChecked()


def test_a_typed_id_or_folder_still_works_and_the_picker_follows(qtbot, view, tiny_backbone, monkeypatch):  # noqa: F811
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    view.show_config(RunConfig())
    hub = next(w for w in view.findChildren(QLineEdit) if "owner/name" in w.placeholderText())
    hub.setFocus()
    qtbot.keyClicks(hub, "someone/bert-nobody-has")
    with qtbot.waitSignal(view.changed):
        qtbot.keyClick(hub, Qt.Key.Key_Return)
    assert backbone_name(view) == "someone/bert-nobody-has"
    assert picker(view).name() == "" and picker(view).description.text() == OTHER_DESCRIPTION

    hub.clear()
    qtbot.keyClicks(hub, "distilbert-base-uncased")  # a curated id, typed: the picker shows its entry
    with qtbot.waitSignal(view.changed):
        qtbot.keyClick(hub, Qt.Key.Key_Return)
    assert picker(view).name() == "distilbert-base-uncased"
    assert "66M parameters" in picker(view).combo.currentText()

    config = RunConfig()
    config.backbone.name = str(tiny_backbone)
    with qtbot.waitSignal(view.info_shown, timeout=WAIT_MS):
        view.show_config(config)
    assert picker(view).name() == "" and backbone_name(view) == str(tiny_backbone)
    config.backbone.name = "microsoft/deberta-v3-base"
    view.show_config(config)
    assert picker(view).name() == "microsoft/deberta-v3-base" and backbone_name(view) == "microsoft/deberta-v3-base"
