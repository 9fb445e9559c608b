"""A window killed mid-run: the next window names the interrupted run and offers to resume it."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.killing import kill_at_first_checkpoint
from workbench.core.events import RunFinished
from workbench.core.runs import list_runs, read_status
from workbench.ui.main_window import MainWindow

WAIT_MS = 120_000

# The window in a process of its own, training from its Start button until it is killed.
WINDOW = textwrap.dedent("""
    import sys
    from workbench.core.config import load_config
    from workbench.ui.app import application
    from workbench.ui.main_window import MainWindow

    app = application([])
    window = MainWindow(load_config(sys.argv[1]))
    window.show()
    window.show_page("Train")
    window.train_view.start_button.click()
    app.exec()
""")


def test_a_window_killed_mid_run_is_offered_for_resume_at_the_next_start(qtbot, long_tiny_config, tmp_path):
    long_tiny_config.training.eval_steps = 5
    config_file = tmp_path / "run.json"
    long_tiny_config.save(config_file)
    runs = Path(long_tiny_config.output.runs_root)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}  # its settings too
    child = subprocess.Popen([sys.executable, "-c", WINDOW, str(config_file)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kill_at_first_checkpoint(child, runs)
    (killed,) = list_runs(runs)
    assert killed.status == "interrupted" and killed.resumable

    window = MainWindow(long_tiny_config)
    qtbot.addWidget(window)
    notice = window.interrupted_notice
    qtbot.waitUntil(lambda: not notice.isHidden(), timeout=WAIT_MS)
    assert killed.path.name in notice.label.text() and "interrupted" in notice.label.text()
    assert "Resume continues it from its last checkpoint, at step " in notice.label.text()

    with qtbot.waitSignal(window.train_view.worker.finished, timeout=WAIT_MS) as finished:
        notice.resume_button.click()
        qtbot.waitUntil(lambda: window.train_view.worker.is_running, timeout=WAIT_MS)
        window.train_view.stop_button.click()
    assert isinstance(finished.args[0], RunFinished) and finished.args[0].run_dir == str(killed.path)
    assert notice.isHidden() and read_status(killed.path)["status"] == "stopped"

    again = MainWindow(long_tiny_config)  # offered once: a later start says nothing of it
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.interrupted_notice.checked, timeout=WAIT_MS):
        pass
    assert again.interrupted_notice.isHidden()
