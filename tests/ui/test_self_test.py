"""`workbench --self-test` in this process: the window, a short demo run from the Start button, export, reload."""

import pytest
from PySide6.QtCore import QSize

from workbench.core.runs import read_status
from workbench.paths import ICON_SIZES
from workbench.ui.app import application
from workbench.ui.self_test import STEPS, run_self_test


@pytest.mark.slow
def test_the_self_test_trains_exports_and_reloads_the_demo(tmp_path, capsys):
    assert run_self_test(tmp_path) == 0
    out = capsys.readouterr().out
    assert out.startswith("Self-test passed: window shown after start ")
    assert f"{STEPS} training steps" in out and "export and reload" in out
    (run,) = [path for path in tmp_path.iterdir() if path.name.endswith("-demo-tickets")]
    status = read_status(run)
    assert status["status"] == "finished"
    assert (run / "model" / "model.safetensors").is_file()


def test_a_failing_run_fails_the_self_test_with_one_sentence(tmp_path, capsys):
    blocker = tmp_path / "runs"
    blocker.write_text("a file where the runs folder should be")
    assert run_self_test(blocker) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Self-test failed: the demo run failed: "), captured.err
    assert str(blocker) in lines[0]


def test_the_app_sets_its_window_icon(qapp):
    icon = application().windowIcon()
    assert not icon.isNull()
    assert set(ICON_SIZES) <= {size.width() for size in icon.availableSizes()}
    assert icon.pixmap(QSize(64, 64)).toImage().pixelColor(32, 32).alpha() == 255
