"""The Try it page and the export dialog, on tiny runs."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from workbench.core.export.predict import Predictor
from workbench.ui.views.export_dialog import ExportDialog
from workbench.ui.views.try_view import TryView

WAIT_MS = 60_000


@pytest.mark.parametrize("task", ["single_label", "pair", "token"])
def test_try_it_shows_what_the_predictor_says(qtbot, trained_run, task):
    view = TryView()
    qtbot.addWidget(view)
    view.show()
    model_dir = trained_run(task) / "model"
    view.show_model(model_dir)
    qtbot.waitUntil(view.predict_button.isEnabled, timeout=WAIT_MS)
    assert view.pair.isVisible() == (task == "pair")
    text = "john visited paris ." if task == "token" else "the movie was great"
    view.text.setPlainText(text)
    view.pair.setPlainText("the plot was awful")
    with qtbot.waitSignal(view.predicted, timeout=WAIT_MS) as predicted:
        qtbot.mouseClick(view.predict_button, Qt.MouseButton.LeftButton)
    expected = Predictor.load(model_dir).predict([text], ["the plot was awful"] if task == "pair" else None)[0]
    shown = predicted.args[0]
    assert shown.label == expected.label and shown.probs == pytest.approx(expected.probs, abs=1e-5)
    if task == "token":
        assert view.output.currentWidget() is view.entities
        for span in shown.spans:
            assert span.text in view.entities.toPlainText()
    else:
        assert view.output.currentWidget() is view.bars
        assert list(view.bars.bars.opts["width"]) == pytest.approx(list(shown.probs.values()))
        assert expected.label in view.answer.text()


def test_export_dialog_writes_and_asks_before_replacing(qtbot, trained_run, tmp_path, monkeypatch):
    dialog = ExportDialog(trained_run("single_label"))
    qtbot.addWidget(dialog)
    dest = tmp_path / "exported"
    dialog.destination.setText(str(dest))
    with qtbot.waitSignal(dialog.exported, timeout=WAIT_MS) as exported:
        assert dialog.start_export()
    assert exported.args[0].dest == dest and (dest / "model.safetensors").is_file() and (dest / "README.md").is_file()
    assert "model.safetensors" in dialog.report.text()
    before = (dest / "README.md").stat().st_mtime_ns

    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.No)
    assert not dialog.start_export()
    assert asked and str(dest) in asked[0] and (dest / "README.md").stat().st_mtime_ns == before

    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(dialog.exported, timeout=WAIT_MS):
        assert dialog.start_export()
    assert (dest / "model.safetensors").is_file() and (dest / "README.md").stat().st_mtime_ns != before
