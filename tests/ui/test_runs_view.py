from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.tiny_models import tiny_run_config
from tests.ui.conftest import points
from workbench.core.events import ProgressReported, RunFinished
from workbench.core.runs import list_runs, read_status
from workbench.core.training.control import RunControl
from workbench.core.training.run import train
from workbench.ui.qmodels.runs_model import RunsTableModel
from workbench.ui.views.runs_view import RunsView


@pytest.fixture(scope="module")
def recorded_runs(tmp_path_factory, tiny_backbone_dir):
    """A runs root with a finished run and a run stopped at step 3, trained by the engine itself."""
    folder = tmp_path_factory.mktemp("recorded")
    config = tiny_run_config(folder, tiny_backbone_dir)
    config.output.run_name = "finished"
    assert isinstance(train(config), RunFinished)
    config.output.run_name = "stopped"
    control = RunControl()

    def stop_at_3(event) -> None:
        if isinstance(event, ProgressReported) and event.step == 3:
            control.request_stop()

    assert train(config, stop_at_3, control).stopped
    return config


@pytest.fixture
def runs_view(qtbot, recorded_runs):
    view = RunsView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.refreshed, timeout=30_000):
        view.show_config(recorded_runs)
        view.refresh()
    return view


def names(view: RunsView) -> list[str]:
    return [run.path.name.split("-", 2)[2] for run in view.model._runs]


def test_runs_table_model_passes_the_model_tester(qtmodeltester, recorded_runs):
    runs = list_runs(recorded_runs.output.runs_root)
    model = RunsTableModel(runs)
    qtmodeltester.check(model)
    by_name = {model.index(row, 0).data(): row for row in range(model.rowCount())}
    stopped = next(row for name, row in by_name.items() if name.endswith("stopped"))
    assert model.index(stopped, 1).data() == "stopped"
    assert model.index(stopped, 2).data() == "single_label"
    finished = next(row for name, row in by_name.items() if name.endswith("finished"))
    assert model.index(finished, 3).data().startswith("f1 ")
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Best metric"

    model.set_runs([])
    qtmodeltester.check(model)
    assert model.rowCount() == 0


def test_selecting_runs_shows_their_curves_and_two_overlay(runs_view):
    assert runs_view.model.rowCount() == 2 and "2 runs" in runs_view.hint.text()
    finished_row = next(row for row in range(2) if runs_view._run_at(row).status == "finished")
    runs_view.select_rows(finished_row)
    live = runs_view.curves.live
    assert len(points(live.raw_loss)) == 7 and points(live.eval_loss) == [6, 12]
    assert len(runs_view.curves.runs) == 1

    runs_view.select_rows(0, 1)
    assert len(runs_view.curves.runs) == 2
    overlay = runs_view.curves.runs[1]
    assert len(points(overlay.smoothed_loss)) > 0
    assert overlay.smoothed_loss.opts["pen"].color() != live.smoothed_loss.opts["pen"].color()

    runs_view.table.clearSelection()
    assert len(runs_view.curves.runs) == 1 and len(points(live.raw_loss)) == 0


def test_resume_continues_a_stopped_run(runs_view, train_view, qtbot):
    stopped_row = next(row for row in range(2) if runs_view._run_at(row).status == "stopped")
    runs_view.select_rows(stopped_row)
    assert runs_view.resume_button.isEnabled()
    runs_view.set_run_active(True)
    assert not runs_view.resume_button.isEnabled()
    runs_view.set_run_active(False)

    runs_view.resume_requested.connect(train_view.resume)
    with qtbot.waitSignal(train_view.run_finished, timeout=120_000) as finished:
        qtbot.mouseClick(runs_view.resume_button, Qt.MouseButton.LeftButton)
        assert points(train_view.curves.live.raw_loss) == [1, 2]  # logged before the stop at step 3
    result = finished.args[0]
    assert isinstance(result, RunFinished) and not result.stopped
    assert read_status(Path(result.run_dir))["status"] == "finished"
    assert train_view.progress.value() == 12

    with qtbot.waitSignal(runs_view.refreshed, timeout=30_000):
        runs_view.refresh()
    assert sorted(run.status for run in runs_view.selected_runs()) == ["finished"]  # the selection survives


def test_a_run_near_chance_is_marked_in_the_table(tmp_path, tiny_backbone_dir):
    config = tiny_run_config(tmp_path, tiny_backbone_dir, max_steps=4)
    config.training.learning_rate = 1e-7
    result = train(config)
    assert result.warning
    model = RunsTableModel(list_runs(config.output.runs_root))
    status = model.index(0, 1)
    assert model.data(status) == "finished, near chance"
    assert model.data(status, Qt.ItemDataRole.ToolTipRole) == result.warning
