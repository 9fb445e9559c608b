"""The analyst's path through the window: it opens on the demo, the user opens their own file with
Open file… and presses Start. Settings the user never touched are the engine's defaults (the epochs
and the rate sized to the data), not the demo's, and the run is named after the file.

Real widgets, the real tiny BERT, real files; only the modal file dialog is answered by the test."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from tests.tiny_models import WORDS
from tests.ui.conftest import stop_if_running
from tests.ui.pages_fixtures import WAIT_MS, idle_pool, tiny_backbone  # noqa: F401
from workbench.core.config import DataConfig, RunConfig, TrainingConfig
from workbench.core.events import RunFinished, RunStarted
from workbench.core.runs import CONFIG_FILE
from workbench.core.training.schedule import plan_training
from workbench.ui.main_window import MainWindow
from workbench.ui.source_defaults import data_name, defaults_for_source
from workbench.ui.views import source_bar

pytestmark = pytest.mark.usefixtures("idle_pool")

RUN_MS = 180_000
QUEUES = {  # six classes with string labels, each with words of its own from the tiny vocabulary
    "billing": ["good", "great"], "shipping": ["bad", "awful"], "account": ["john", "mary"],
    "technical": ["paris", "london"], "returns": ["acme", "corp"], "other": ["actor", "plot"],
}
assert all(word in WORDS for words in QUEUES.values() for word in words)


def ticket_rows(rows: int, seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    names = list(QUEUES)
    out = []
    for i in range(rows):
        label = names[i % len(names)]
        out.append([f"the {rng.choice(QUEUES[label])} story was {rng.choice(QUEUES[label])} and so it is", label])
    return out


def write_semicolon_csv(path: Path, rows: int = 240) -> Path:
    lines = ["text;label"] + [";".join(row) for row in ticket_rows(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def demo_window(qtbot, tmp_path, monkeypatch):
    """The window as `make run` opens it (on the demo); runs go to ./runs, here a temporary folder."""
    monkeypatch.chdir(tmp_path)
    window = MainWindow()
    qtbot.addWidget(window, before_close_func=lambda w: stop_if_running(qtbot, w.train_view.worker))
    window.show()
    qtbot.waitUntil(lambda: window.data_view.report() is not None or bool(window.data_view.error()), timeout=WAIT_MS)
    return window


def choose_backbone_folder(qtbot, window: MainWindow, folder: Path) -> None:
    """On the Model page, type a local model folder, as a user would."""
    window.show_page("Model")
    field = next(e for e in window.model_view.findChildren(QLineEdit) if "config.json" in e.placeholderText())
    qtbot.keyClicks(field, str(folder))
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert window.current_config().backbone.name == str(folder)


def open_file(qtbot, window: MainWindow, path: Path, monkeypatch) -> None:
    """Data page > Open file…, the dialog answered with `path`."""
    monkeypatch.setattr(source_bar.QFileDialog, "getOpenFileName", lambda *args: (str(path), ""))
    window.show_page("Data")
    button = next(b for b in window.data_view.findChildren(QPushButton) if b.text() == "Open file…")
    with qtbot.waitSignals([window.data_view.opened_by_user, window.data_view.checked], timeout=WAIT_MS):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def start_and_wait(qtbot, window: MainWindow) -> tuple[RunFinished, RunStarted]:
    started = []
    window.train_view.worker.event_received.connect(
        lambda event: started.append(event) if isinstance(event, RunStarted) else None)
    window.show_page("Train")
    with qtbot.waitSignal(window.train_view.run_finished, timeout=RUN_MS) as finished:
        qtbot.mouseClick(window.train_view.start_button, Qt.MouseButton.LeftButton)
    result = finished.args[0]
    assert isinstance(result, RunFinished), getattr(result, "message", result)
    assert len(started) == 1
    return result, started[0]


def expected_config(source: Path, backbone: Path, run_name: str, sheet: str | None = None) -> RunConfig:
    """The engine's defaults, with the file, its columns, the user's backbone and the run named after the data."""
    config = RunConfig()
    config.data.source, config.data.sheet = str(source), sheet
    config.backbone.name = str(backbone)
    config.output.run_name = run_name
    return config


def assert_sized_run(result: RunFinished, started: RunStarted, expected: RunConfig, classes: int) -> None:
    run_dir = Path(result.run_dir).resolve()
    assert run_dir.parent == Path("runs").resolve()  # the demo's runs folder, kept
    assert run_dir.name.endswith(f"-{expected.output.run_name}")
    saved = RunConfig.from_dict(json.loads((run_dir / CONFIG_FILE).read_text(encoding="utf-8")))
    assert saved == expected  # every setting the user left alone is the engine's default
    assert saved.training.epochs is None and saved.training.learning_rate is None  # left to the engine
    plan = plan_training(TrainingConfig(), started.train_rows, classes, 32)  # the tiny BERT is 32 wide
    assert started.epochs == plan.epochs and started.learning_rate == plan.learning_rate
    assert started.epochs > 1 and started.learning_rate == 1e-4  # not the 1 epoch the demo once carried


def test_an_own_csv_opened_after_the_demo_trains_with_the_sized_defaults(qtbot, demo_window, tiny_backbone,  # noqa: F811
                                                                          tmp_path, monkeypatch):
    window = demo_window
    assert window.current_config().output.run_name == "demo-tickets"
    choose_backbone_folder(qtbot, window, tiny_backbone)  # the one setting the user changes
    path = write_semicolon_csv(tmp_path / "support-tickets.csv")
    open_file(qtbot, window, path, monkeypatch)
    assert window.statusBar().currentMessage() == (
        "Settings reset to the defaults for support-tickets.csv, except the ones you changed (backbone.name); "
        "the run will be named support-tickets.")
    assert set(window.data_view.report().label_counts["train"]) == set(QUEUES)
    train = window.train_view
    assert (train.epochs.text(), train.learning_rate.text(), train.batch_size.value()) == ("auto", "auto", 32)

    result, started = start_and_wait(qtbot, window)
    assert_sized_run(result, started, expected_config(path, tiny_backbone, "support-tickets"), len(QUEUES))
    assert started.train_rows == 216  # 240 rows, a tenth of each class set aside for validation


def test_the_second_sheet_of_a_workbook_trains_with_the_sized_defaults(qtbot, demo_window, tiny_backbone,  # noqa: F811
                                                                        tmp_path, monkeypatch):
    from tests.core.workbook_files import write_xlsx

    window = demo_window
    choose_backbone_folder(qtbot, window, tiny_backbone)
    notes = [["text", "label"]] + [[f"a note {i}", "x" if i % 2 else "y"] for i in range(20)]
    tickets = [["text", "label"]] + ticket_rows(240, seed=1)
    path = write_xlsx(tmp_path / "book.xlsx", {"notes": notes, "tickets": tickets})
    open_file(qtbot, window, path, monkeypatch)
    assert window.statusBar().currentMessage().endswith("the run will be named book.")

    picker = window.data_view.findChild(source_bar.SourceBar).sheet_picker()
    assert [picker.itemText(i) for i in range(picker.count())] == ["notes", "tickets"]
    picker.setFocus()
    with qtbot.waitSignals([window.data_view.opened_by_user, window.data_view.checked], timeout=WAIT_MS):
        qtbot.keyClick(picker, Qt.Key.Key_Down)  # notes -> tickets
    assert picker.currentText() == "tickets"
    assert window.statusBar().currentMessage() == (
        "Settings reset to the defaults for book.xlsx (sheet tickets), except the ones you changed (backbone.name); "
        "the run will be named book-tickets.")

    result, started = start_and_wait(qtbot, window)
    assert_sized_run(result, started, expected_config(path, tiny_backbone, "book-tickets", sheet="tickets"), len(QUEUES))


def test_edits_are_kept_across_sources_and_a_saved_config_keeps_what_it_holds(qtbot, demo_window, tiny_backbone,  # noqa: F811
                                                                               tmp_path, monkeypatch):
    window = demo_window
    choose_backbone_folder(qtbot, window, tiny_backbone)
    window.show_page("Train")
    window.train_view.epochs.setValue(3)  # a user edit on the demo: kept on every source opened later
    first = write_semicolon_csv(tmp_path / "first.csv")
    open_file(qtbot, window, first, monkeypatch)
    config = window.current_config()
    assert (config.training.epochs, config.training.learning_rate, config.training.logging_steps) == (3, None, 10)
    assert config.output.run_name == "first"
    second = write_semicolon_csv(tmp_path / "second.csv", rows=120)
    open_file(qtbot, window, second, monkeypatch)
    config = window.current_config()
    assert (config.training.epochs, config.output.run_name, config.data.source) == (3, "second", str(second))
    assert "except the ones you changed (backbone.name, training.epochs)" in window.statusBar().currentMessage()

    saved = config
    saved.training.learning_rate, saved.training.batch_size, saved.output.run_name = 3e-4, 8, "my-run"
    saved.save(tmp_path / "my-run.json")
    with qtbot.waitSignal(window.data_view.checked, timeout=WAIT_MS):
        assert window.open_config(tmp_path / "my-run.json")
    assert window.current_config() == saved  # exactly what it holds: no reset on its own source
    open_file(qtbot, window, first, monkeypatch)  # another source after it: its settings are the user's
    config = window.current_config()
    assert (config.training.learning_rate, config.training.batch_size, config.training.epochs) == (3e-4, 8, 3)
    assert (config.data.source, config.output.run_name) == (str(first), "first")
    assert window.statusBar().currentMessage() == ("Settings kept from my-run.json for first.csv; "
                                                   "the run will be named first.")


def test_data_names_and_defaults_for_a_source(tmp_path):
    (tmp_path / "splits").mkdir()
    assert data_name(DataConfig(str(tmp_path / "tickets.csv"))) == "tickets"
    assert data_name(DataConfig(str(tmp_path / "splits") + "/")) == "splits"
    assert data_name(DataConfig("cornell-movie-review-data/rotten_tomatoes")) == "rotten_tomatoes"
    assert data_name(DataConfig(str(tmp_path / "book.xlsx"), sheet="Q3")) == "book-Q3"

    shown = RunConfig()
    shown.data.source, shown.data.text_column, shown.task.type = str(tmp_path / "tickets.csv"), "body", "pair"
    shown.data.text_pair_column = "subject"
    shown.training.epochs, shown.training.seed, shown.output.runs_root = 1, 7, "/somewhere/runs"
    config = defaults_for_source(shown, {"training.seed"})
    expected = RunConfig()
    expected.data.source, expected.data.text_column, expected.task.type = shown.data.source, "body", "pair"
    expected.data.text_pair_column, expected.training.seed = "subject", 7
    expected.output.runs_root, expected.output.run_name = "/somewhere/runs", "tickets"
    assert config == expected
    assert defaults_for_source(shown, set(), keep_all=True).training.epochs == 1
