from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.ui.conftest import points, stop_if_running
from workbench.core.compare.comparison import load_comparison
from workbench.core.events import ComparisonFinished, ProgressReported, VariantEvent
from workbench.core.runs import read_status
from workbench.ui.main_window import MainWindow
from workbench.ui.views.compare_view import CompareView

RUN_TIMEOUT_MS = 120_000


@pytest.fixture
def compare_view(qtbot):
    view = CompareView()
    qtbot.addWidget(view, before_close_func=lambda view: stop_if_running(qtbot, view.worker))
    return view


def answer_compare(view, config) -> None:
    """Answer the page's Compare as the main window does: with the assembled run config."""
    view.compare_requested.connect(lambda: view.start(config))


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_presets_are_listed_and_a_custom_variant_is_added_or_refused(compare_view, qtbot):
    assert [v.name for v in compare_view.checked_variants()] == ["full", "head_only"]
    assert compare_view.variants.count() == 5  # full, head_only, lower_half, lora, llrd
    compare_view.custom.setText("lr:training.learning_rate")
    click(qtbot, compare_view.add_button)
    assert compare_view.custom_error.isVisibleTo(compare_view) and compare_view.variants.count() == 5
    assert "In the variant 'lr', 'training.learning_rate' is not written" in compare_view.custom_error.text()
    compare_view.custom.setText("lr:training.learning_rate=2e-4")
    click(qtbot, compare_view.add_button)
    assert not compare_view.custom_error.isVisibleTo(compare_view) and compare_view.custom.text() == ""
    assert compare_view.checked_variants()[-1].changes == {"training.learning_rate": 2e-4}


def test_compare_overlays_the_variants_curves_and_fills_the_table(compare_view, qtbot, tiny_config, tmp_path):
    compare_view.show_config(tiny_config)
    compare_view.resize(1280, 800)
    compare_view.custom.setText("fast:training.learning_rate=0.003")
    click(qtbot, compare_view.add_button)
    compare_view.set_checked(["head_only", "fast"])
    answer_compare(compare_view, tiny_config)
    with qtbot.waitSignal(compare_view.comparison_finished, timeout=RUN_TIMEOUT_MS) as finished:
        click(qtbot, compare_view.compare_button)
        assert not compare_view.compare_button.isEnabled() and compare_view.stop_button.isEnabled()
    result = finished.args[0]
    assert isinstance(result, ComparisonFinished) and result.unfinished == []

    model = compare_view.table_model
    assert model.rowCount() == 2
    assert [model.index(row, 0).data() for row in range(2)] == ["head_only", "fast"]
    assert [model.index(row, 1).data() for row in range(2)] == ["finished", "finished"]
    runs = compare_view.curves.runs
    assert [run.name for run in runs] == ["head_only", "fast"]
    for run in runs:  # each variant's own curves: steps 1, 2, 4, ..., 12; evaluations at 6 and 12
        assert len(points(run.smoothed_loss)) == 7 and points(run.metric) == [6, 12]
    assert runs[0].smoothed_loss.opts["pen"].color() != runs[1].smoothed_loss.opts["pen"].color()
    assert compare_view.shown_columns() == ["variant", "trainable params", "train time (s)", "validation_f1"]
    assert model.columnCount() > 10  # the others are a click away
    assert (Path(result.folder) / "curves.png").is_file() and (Path(result.folder) / "table.md").is_file()
    assert "Table and curves saved in" in compare_view.progress_label.text()
    assert compare_view.compare_button.isEnabled()
    compare_view.grab().save(str(tmp_path / "compare_page.png"))


def test_stop_leaves_the_comparison_to_resume(compare_view, qtbot, long_tiny_config):
    compare_view.show_config(long_tiny_config)
    compare_view.custom.setText("short:training.max_steps=4")
    click(qtbot, compare_view.add_button)
    compare_view.set_checked(["full", "short"])
    answer_compare(compare_view, long_tiny_config)

    def on_event(event) -> None:
        if (isinstance(event, VariantEvent) and isinstance(event.event, ProgressReported) and event.event.step >= 2
                and compare_view.stop_button.isEnabled()):
            click(qtbot, compare_view.stop_button)

    compare_view.worker.event_received.connect(on_event)
    with qtbot.waitSignal(compare_view.comparison_finished, timeout=RUN_TIMEOUT_MS) as finished:
        click(qtbot, compare_view.compare_button)
    stopped = finished.args[0]
    assert stopped.unfinished == ["full", "short"] and compare_view.table_model.rowCount() == 1
    assert "Not finished: full, short" in compare_view.progress_label.text()
    full_run = Path(load_comparison(stopped.folder)["variants"][0]["run_dir"])
    assert read_status(full_run)["status"] == "stopped"

    compare_view.worker.event_received.disconnect(on_event)
    with qtbot.waitSignal(compare_view.comparison_finished, timeout=RUN_TIMEOUT_MS) as finished:
        compare_view.resume(stopped.folder)
    assert finished.args[0].unfinished == [] and compare_view.table_model.rowCount() == 2
    assert read_status(full_run)["status"] == "finished"  # the same run, resumed from its checkpoint
    assert [run.name for run in compare_view.curves.runs] == ["full", "short"]


def test_the_main_window_has_a_compare_page_and_closing_stops_a_comparison(qtbot, long_tiny_config):
    """And the Train page does not start a run beside the comparison."""
    window = MainWindow(long_tiny_config)
    qtbot.addWidget(window, before_close_func=lambda w: stop_if_running(qtbot, w.compare_view.worker))
    window.show()
    pages = [window.nav.item(row).text() for row in range(window.nav.count())]
    assert pages[pages.index("Runs") + 1] == "Compare"
    window._confirm_close = lambda: True
    window.show_page("Compare")
    window.compare_view.set_checked(["head_only"])
    steps = []
    window.compare_view.worker.event_received.connect(
        lambda event: steps.append(1) if isinstance(event, VariantEvent) else None)
    click(qtbot, window.compare_view.compare_button)
    qtbot.waitUntil(lambda: bool(steps), timeout=RUN_TIMEOUT_MS)
    click(qtbot, window.train_view.start_button)  # one run at a time
    assert not window.train_view.worker.is_running and "A comparison is training" in window.statusBar().currentMessage()

    with qtbot.waitSignal(window.compare_view.comparison_finished, timeout=RUN_TIMEOUT_MS) as finished:
        assert not window.close()  # held open until the variant has stopped
    qtbot.waitUntil(lambda: not window.isVisible())
    assert finished.args[0].unfinished == ["head_only"]


def test_before_anything_ran_the_page_says_what_will_appear(compare_view):
    compare_view.show()
    assert compare_view.curves.placeholder.isVisible() and not compare_view.curves.plots_shown()
    assert compare_view.table_placeholder.isVisible() and not compare_view.table.isVisible()
    assert not compare_view.progress.isVisible()  # no "0 / 100 steps"


def test_the_table_leads_with_what_is_compared_and_shows_the_rest_on_request(compare_view, qtbot):
    from workbench.core.compare.comparison import FIRST_COLUMNS, MEMORY_RSS

    metrics = ["validation_accuracy", "validation_f1", "validation_loss", "test_accuracy", "test_f1", "test_loss"]
    header = [*FIRST_COLUMNS, *metrics, MEMORY_RSS]
    row = ["full", "finished", 1000, 12.5, 30.0, 0.4, 0.9, 0.8, 0.3, 0.88, 0.78, 0.35, 900.0]
    compare_view.show()
    compare_view._set_table(header, [row, ["lora", "failed", *row[2:]]])
    assert compare_view.table.isVisible() and not compare_view.table_placeholder.isVisible()
    assert compare_view.shown_columns() == ["variant", "status", "trainable params", "train time (s)",
                                            "validation_f1", "test_f1"]  # status: a variant did not finish
    compare_view._set_table(header, [row])
    leading = ["variant", "trainable params", "train time (s)", "validation_f1", "test_f1"]
    assert compare_view.shown_columns() == leading
    compare_view.all_columns.setChecked(True)
    shown = compare_view.shown_columns()
    assert shown[:5] == leading and sorted(shown) == sorted(header)
    compare_view.all_columns.setChecked(False)
    compare_view._show_column("samples/s", True)  # as the header's context menu does
    assert compare_view.shown_columns() == [*leading, "samples/s"]
