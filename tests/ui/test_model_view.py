import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QRadioButton

from tests.ui.pages_fixtures import WAIT_MS, idle_pool, tiny_backbone  # noqa: F401
from workbench.core.config import BUNDLED_BACKBONE, RunConfig
from workbench.core.errors import WorkbenchError
from workbench.core.model.backbones import backbone_info
from workbench.ui.views.model_view import ModelView

pytestmark = pytest.mark.usefixtures("idle_pool")


@pytest.fixture
def view(qtbot) -> ModelView:
    view = ModelView()
    qtbot.addWidget(view)
    view.show()
    return view


def child(view: ModelView, kind: type, text: str):
    """The widget of `kind` whose text (a line edit's placeholder) contains `text`."""
    return next(w for w in view.findChildren(kind) if text in (w.placeholderText() if kind is QLineEdit else w.text()))


def test_bundled_backbone_facts(qtbot, view):
    with qtbot.waitSignals([view.info_shown, view.backbone_changed], timeout=WAIT_MS):
        view.show_config(RunConfig())
    assert view.backbone() == BUNDLED_BACKBONE
    info = view.info()
    assert info["parameters"] == "22.7 million (22,713,216)"
    shown = (info["layers"], info["hidden_size"], info["max_positions"], info["vocab_size"])
    assert shown == ("6", "384", "512 tokens", "30,522 tokens")
    assert view.error() == ""


def test_local_folder_and_task_head_options(qtbot, view, tiny_backbone):  # noqa: F811
    config = RunConfig()
    config.backbone.name = str(tiny_backbone)
    config.task.type, config.task.dropout, config.task.class_weights = "pair", 0.25, True
    with qtbot.waitSignal(view.backbone_changed, timeout=WAIT_MS) as changed:
        view.show_config(config)
    assert changed.args == [str(tiny_backbone), "pair"]
    qtbot.waitUntil(lambda: view.info()["layers"] == "2", timeout=WAIT_MS)
    assert view.info()["hidden_size"] == "32"
    assert child(view, QRadioButton, "Local folder").isChecked()
    assert child(view, QLineEdit, "config.json").text() == str(tiny_backbone)

    out = RunConfig()
    view.update_config(out)
    assert (out.backbone.name, out.task.type) == (str(tiny_backbone), "pair")
    assert (out.task.dropout, out.task.class_weights) == (0.25, True)

    # The task guessed on the Data page: token tasks weigh their tags too.
    with qtbot.waitSignal(view.backbone_changed) as changed, qtbot.assertNotEmitted(view.changed):
        view.set_task("token")
    assert changed.args == [str(tiny_backbone), "token"]
    view.update_config(out)
    assert (out.task.type, out.task.class_weights) == ("token", True)

    # The user unsets the dropout.
    with qtbot.waitSignal(view.changed):
        qtbot.mouseClick(child(view, QCheckBox, "Set"), Qt.MouseButton.LeftButton)
    view.update_config(out)
    assert out.task.dropout is None


def test_user_picks_a_task(qtbot, view):
    view.show_config(RunConfig())
    combo = next(c for c in view.findChildren(QComboBox) if c.findData("multi_label") >= 0)
    combo.setFocus()
    with qtbot.waitSignals([view.changed, view.backbone_changed]):
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert view.task() == "pair"


def test_unreachable_hub_id_shows_the_engine_sentence(qtbot, view, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    view.show_config(RunConfig())
    hub = child(view, QLineEdit, "owner/name")
    hub.setFocus()
    qtbot.keyClicks(hub, "someone/bert-nobody-has")
    assert child(view, QRadioButton, "Hub id").isChecked()  # typing an id chooses the Hub
    with qtbot.waitSignal(view.changed):
        qtbot.keyClick(hub, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.error() != "", timeout=WAIT_MS)
    with pytest.raises(WorkbenchError) as engine:
        backbone_info("someone/bert-nobody-has")
    assert view.error() == str(engine.value)
    assert "'someone/bert-nobody-has'" in view.error() and "Hugging Face Hub" in view.error()
    assert set(view.info().values()) == {"–"}
    out = RunConfig()
    view.update_config(out)
    assert out.backbone.name == "someone/bert-nobody-has"


def test_pickle_weights_need_consent(qtbot, view, tiny_backbone, tmp_path):  # noqa: F811
    folder = tmp_path / "pickled"
    shutil.copytree(tiny_backbone, folder)
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    config = RunConfig()
    config.backbone.name = str(folder)
    view.show_config(config)
    qtbot.waitUntil(lambda: "only pickle (.bin) weights" in view.error(), timeout=WAIT_MS)
    with qtbot.waitSignal(view.info_shown, timeout=WAIT_MS):
        qtbot.mouseClick(child(view, QCheckBox, "Allow pickle"), Qt.MouseButton.LeftButton)
    assert view.error() == "" and view.info()["layers"] == "2"
    view.update_config(config)
    assert config.backbone.allow_pickle_weights
