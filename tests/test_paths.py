"""Where the app reads resources and writes runs and caches: the checkout's folders, or as the bundle the user's."""

import os
import subprocess
import sys
from pathlib import Path

from workbench import paths
from workbench.demo import DEMO_CSV, demo_config

ROOT = Path(__file__).resolve().parent.parent


def test_from_a_checkout_resources_are_the_repositorys_and_runs_go_to_runs():
    assert paths.RESOURCES == ROOT / "resources"
    assert DEMO_CSV.is_file()
    assert paths.default_runs_root() == "runs"
    assert demo_config().output.runs_root == "runs"


def test_as_the_bundle_runs_and_caches_go_to_the_users_folders(tmp_path):
    """A process that is `sys.frozen` with `_MEIPASS` set, as PyInstaller's bootloader leaves it."""
    code = (
        "import os, sys\n"
        f"sys.frozen, sys._MEIPASS = True, {str(tmp_path / 'bundle')!r}\n"
        "from workbench import paths\n"
        "from workbench.demo import demo_config\n"
        "paths.use_user_cache()\n"
        "print(paths.RESOURCES); print(demo_config().output.runs_root); print(os.environ['HF_HOME'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")}
    env.update(HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    resources, runs_root, hf_home = result.stdout.split("\n")[:3]
    assert resources == str(tmp_path / "bundle" / "resources")
    assert runs_root == str(tmp_path / "home" / ".local" / "share" / "bert-workbench" / "runs")
    assert hf_home == str(tmp_path / "home" / ".cache" / "bert-workbench" / "huggingface")


def test_a_cache_folder_the_user_set_is_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "mine"))
    paths.use_user_cache()
    assert os.environ["HF_HOME"] == str(tmp_path / "mine")
