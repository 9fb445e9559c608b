"""The engine stays importable without Qt: the import-linter contract in pyproject.toml, checked for real."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_core_imports_no_qt():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imports no Qt KEPT" in result.stdout


def test_core_runs_with_qt_blocked():
    """Import every core module in a process where importing PySide6 or pyqtgraph raises."""
    code = (
        "import sys, importlib, pkgutil\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'pyqtgraph'): raise ImportError('Qt is blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import workbench.core as core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'workbench.core.'): importlib.import_module(m.name)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_the_window_opens_without_loading_torch():
    """torch, transformers and peft load in the background after the window shows (seconds on 2 cores):
    importing the main window must not pull them in."""
    code = (
        "import sys\n"
        "import workbench.ui.main_window\n"
        "print(sorted(m for m in ('torch', 'transformers', 'peft', 'datasets') if m in sys.modules))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_building_the_window_leaves_the_heavy_libraries_to_the_background():
    """Building the main window imports none of torch, transformers, datasets or pyarrow on the UI
    thread (a background job loads them while the window shows)."""
    code = (
        "import sys, threading\n"
        "heavy = ('torch', 'transformers', 'datasets', 'pyarrow', 'peft')\n"
        "seen = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name in heavy and threading.current_thread() is threading.main_thread(): seen.append(name)\n"
        "sys.meta_path.insert(0, Watch())\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from workbench.ui.main_window import MainWindow\n"
        "app = QApplication([])\n"
        "window = MainWindow()\n"
        "print(sorted(set(seen)))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
