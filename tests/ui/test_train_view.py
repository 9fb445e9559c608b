import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer

from tests.tiny_models import write_three_class_csv
from tests.ui.conftest import answer_start, points
from workbench.core.config import RunConfig
from workbench.core.events import ProgressReported, RunFailed, RunFinished
from workbench.core.runs import read_status

RUN_TIMEOUT_MS = 120_000


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def run_from_start_button(train_view, qtbot, config):
    """Show `config`, press Start and wait for the run's result."""
    train_view.show_config(config)
    answer_start(train_view, config)
    with qtbot.waitSignal(train_view.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        click(qtbot, train_view.start_button)
    return finished.args[0]


def test_form_shows_and_writes_the_training_settings(train_view, tiny_config):
    tiny_config.training.early_stopping_patience = 3
    tiny_config.training.metric_for_best, tiny_config.training.max_grad_norm = "accuracy", 0.5
    train_view.show_config(tiny_config)
    assert train_view.learning_rate.text() == "0.001" and train_view.eval_steps.isEnabled()

    written = RunConfig()
    written.training.logging_steps, written.training.dropout_masks = 7, "torch"  # on the form (Advanced): written
    train_view.update_config(written)
    assert written.training == tiny_config.training

    defaults = RunConfig()
    train_view.show_config(defaults)
    assert train_view.max_steps.text() == "off" and train_view.patience.text() == "off"
    assert not train_view.eval_steps.isEnabled()
    written = RunConfig()
    written.training.max_steps, written.training.early_stopping_patience = 50, 2
    train_view.update_config(written)
    assert written.training == defaults.training


def test_edits_emit_changed_but_showing_a_config_does_not(train_view, qtbot, tiny_config):
    with qtbot.assertNotEmitted(train_view.changed):
        train_view.show_config(tiny_config)
    with qtbot.waitSignal(train_view.changed):
        train_view.learning_rate.stepBy(1)
    assert train_view.learning_rate.text() == "0.002"


def test_a_short_run_fills_the_curves_and_the_progress_bar(train_view, qtbot, tiny_config):
    train_view.show_config(tiny_config)
    answer_start(train_view, tiny_config)
    with qtbot.waitSignal(train_view.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        click(qtbot, train_view.start_button)
        assert not train_view.start_button.isEnabled() and not train_view.form.isEnabled()
    result = finished.args[0]
    assert isinstance(result, RunFinished) and not result.stopped

    live = train_view.curves.live  # complete when the run ends: the finished run flushes the redraw
    assert len(points(live.raw_loss)) == 7  # steps 1, 2, 4, ..., 12
    assert len(points(live.smoothed_loss)) == 7 and len(points(live.learning_rate)) == 7
    assert points(live.eval_loss) == [6, 12] and len(points(live.metric)) == 2
    assert train_view.progress.value() == train_view.progress.maximum() == 12
    assert "Finished" in train_view.progress_label.text()
    log = train_view.log.toPlainText()
    assert "Evaluation on validation at step 6" in log and "Checkpoint saved at step 12" in log
    assert train_view.start_button.isEnabled() and not train_view.stop_button.isEnabled()


def test_stop_ends_the_run_with_a_checkpoint(train_view, qtbot, long_tiny_config):
    train_view.show_config(long_tiny_config)
    answer_start(train_view, long_tiny_config)

    def on_event(event) -> None:
        if isinstance(event, ProgressReported) and event.step >= 2 and train_view.stop_button.isEnabled():
            click(qtbot, train_view.stop_button)

    train_view.worker.event_received.connect(on_event)
    with qtbot.waitSignal(train_view.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        click(qtbot, train_view.start_button)
    result = finished.args[0]
    assert isinstance(result, RunFinished) and result.stopped
    run_dir = Path(result.run_dir)
    (checkpoint,) = (run_dir / "checkpoints").glob("checkpoint-*")
    assert (checkpoint / "optimizer.pt").is_file() and int(checkpoint.name.split("-")[1]) < 400
    assert read_status(run_dir)["status"] == "stopped"
    assert train_view.progress.value() < 400 and "Stopped" in train_view.progress_label.text()


def test_pause_holds_the_run_and_resume_continues_it(train_view, qtbot, tiny_config):
    train_view.show_config(tiny_config)
    answer_start(train_view, tiny_config)
    paused = []

    def on_event(event) -> None:
        if isinstance(event, ProgressReported) and event.step >= 2 and not paused:
            click(qtbot, train_view.pause_button)
            paused.append(event.step)

    train_view.worker.event_received.connect(on_event)
    click(qtbot, train_view.start_button)
    qtbot.waitUntil(lambda: "Paused at step" in train_view.log.toPlainText(), timeout=RUN_TIMEOUT_MS)
    assert train_view.pause_button.text() == "Resume"
    held = train_view.progress.value()
    qtbot.wait(600)
    assert train_view.progress.value() == held and train_view.worker.is_running
    with qtbot.waitSignal(train_view.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        click(qtbot, train_view.pause_button)
    assert isinstance(finished.args[0], RunFinished) and not finished.args[0].stopped
    assert train_view.progress.value() == 12


def test_the_ui_thread_stays_responsive_during_a_run(train_view, qtbot, tiny_config):
    """A 20 ms timer on the UI thread keeps ticking while the engine trains in its thread."""
    tiny_config.training.max_steps = 60
    tiny_config.training.eval_steps = 20
    tiny_config.training.logging_steps = 1
    train_view.show_config(tiny_config)
    answer_start(train_view, tiny_config)
    ticks: list[float] = []
    timer = QTimer(interval=20, timerType=Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    with qtbot.waitSignal(train_view.run_finished, timeout=RUN_TIMEOUT_MS):
        click(qtbot, train_view.start_button)
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    worst = max(gaps)
    print(f"\nUI stall: {len(ticks)} ticks, max gap {worst * 1000:.1f} ms, "
          f"mean {sum(gaps) / len(gaps) * 1000:.1f} ms, over 50 ms: {sum(g > 0.05 for g in gaps)}")
    assert worst < 0.1


def test_a_failed_run_shows_its_sentence_inline(train_view, qtbot, tiny_config, tmp_path):
    tiny_config.data.source = str(tmp_path / "missing.csv")
    result = run_from_start_button(train_view, qtbot, tiny_config)
    assert isinstance(result, RunFailed) and "missing.csv" in result.message
    assert train_view.banner.isVisibleTo(train_view) and train_view.banner.text() == result.message
    assert train_view.start_button.isEnabled()


def test_epochs_and_learning_rate_left_to_auto(train_view, qtbot):
    train_view.show_config(RunConfig())
    assert train_view.epochs.text() == "auto" and train_view.learning_rate.text() == "auto"
    written = RunConfig()
    written.training.epochs, written.training.learning_rate = 3.0, 2e-5
    train_view.update_config(written)
    assert written.training.epochs is None and written.training.learning_rate is None

    train_view.learning_rate.stepBy(1)  # from auto the arrows start at the measured rate
    assert train_view.learning_rate.text() == "0.0001"
    train_view.learning_rate.lineEdit().selectAll()
    qtbot.keyClicks(train_view.learning_rate, "auto")
    train_view.learning_rate.interpretText()
    assert train_view.learning_rate.value() == 0.0
    train_view.update_config(written)
    assert written.training.learning_rate is None


def test_a_run_near_chance_shows_the_warning(train_view, qtbot, tiny_config):
    tiny_config.training.learning_rate, tiny_config.training.max_steps = 1e-7, 4
    result = run_from_start_button(train_view, qtbot, tiny_config)
    assert isinstance(result, RunFinished) and "far too few" in result.warning
    assert train_view.banner.isVisibleTo(train_view) and train_view.banner.text().split("\n")[0] == result.warning
    assert "#fdf6e3" in train_view.banner.styleSheet()  # a warning, not a failure
    assert f"Warning: {result.warning}" in train_view.log.toPlainText()


def test_a_run_that_answers_one_class_names_the_others_in_the_banner(train_view, qtbot, tiny_config, tmp_path):
    tiny_config.data.source = str(write_three_class_csv(tmp_path / "three.csv"))
    tiny_config.training.learning_rate, tiny_config.training.max_steps = 1e-7, 4
    result = run_from_start_button(train_view, qtbot, tiny_config)
    assert isinstance(result, RunFinished) and result.class_warning
    assert result.class_warning.startswith("The model never predicts 2 of the 3 classes in the validation rows")
    assert train_view.banner.isVisibleTo(train_view) and "#fdf6e3" in train_view.banner.styleSheet()
    assert train_view.banner.text() == f"{result.warning}\n{result.class_warning}"  # a line per warning
    assert f"Warning: {result.class_warning}" in train_view.log.toPlainText()


def test_a_run_freezes_the_heap_and_its_garbage_is_freed_on_the_ui_thread(train_view, qtbot, tiny_config):
    """Collections during a run walk only what the run made; what it leaves is freed on the UI thread."""
    import gc
    import threading

    freed_on: list[str] = []

    class Cycle:
        def __init__(self):
            self.itself = self

        def __del__(self):
            freed_on.append(threading.current_thread().name)

    def make_garbage(event) -> None:  # on the training thread: enough cycles to pass gc's thresholds
        if isinstance(event, RunFinished):
            for _ in range(5 * gc.get_threshold()[0]):
                Cycle()

    train_view.show_config(tiny_config)
    answer_start(train_view, tiny_config)
    frozen_during: list[int] = []
    train_view.worker.event_received.connect(lambda event: frozen_during.append(gc.get_freeze_count()))
    with qtbot.waitSignal(train_view.run_finished, timeout=RUN_TIMEOUT_MS):
        click(qtbot, train_view.start_button)
        train_view.worker._thread.event_emitted.connect(make_garbage, Qt.ConnectionType.DirectConnection)
    assert len(freed_on) == 5 * gc.get_threshold()[0]  # freed when the run ended
    assert set(freed_on) == {threading.main_thread().name}
    assert frozen_during and min(frozen_during) > 10_000  # the test session's heap, at least


def test_accumulation_and_checkpointing_on_the_form(train_view, qtbot, tiny_config):
    tiny_config.training.gradient_accumulation_steps, tiny_config.training.gradient_checkpointing = 2, True
    train_view.show_config(tiny_config)
    assert train_view.effective_batch.text() == "effective batch 16 (8 x 2)"
    train_view.accumulation.setValue(4)
    assert train_view.effective_batch.text() == "effective batch 32 (8 x 4)"
    written = RunConfig()
    train_view.update_config(written)
    assert (written.training.gradient_accumulation_steps, written.training.gradient_checkpointing) == (4, True)


def test_out_of_memory_offers_a_half_batch_retry_that_resumes_the_run(train_view, qtbot, tiny_config):
    from tests.memory_faults import memory_that_fits
    from workbench.core.runs import run_config

    with memory_that_fits(rows=4, after_steps=7):
        failed = run_from_start_button(train_view, qtbot, tiny_config)
        assert isinstance(failed, RunFailed) and failed.out_of_memory
        assert train_view.banner.text() == failed.message
        assert train_view.retry_button.isVisibleTo(train_view)
        assert train_view.retry_button.text() == "Retry at batch 4 (accumulation 2)"
        with qtbot.waitSignal(train_view.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
            click(qtbot, train_view.retry_button)
    result = finished.args[0]
    assert isinstance(result, RunFinished) and result.run_dir == failed.run_dir  # resumed, not started again
    assert run_config(result.run_dir).training.batch_size == 4
    assert (train_view.batch_size.value(), train_view.accumulation.value()) == (4, 2)
    assert not train_view.retry_button.isVisibleTo(train_view)


def test_a_placeholder_shows_until_the_first_point_and_a_lone_evaluation_sits_on_the_step_axis(train_view, qtbot):
    from workbench.core.events import EvalFinished, StepLogged

    curves = train_view.curves
    train_view.show()
    assert not curves.plots_shown() and curves.placeholder.isVisible()
    assert curves.placeholder.text().startswith("Press Start")
    assert not train_view.progress.isVisible()  # no "0 / 100 steps" before anything ran
    for step in range(10, 64, 10):
        curves.add_event(StepLogged(step, step / 63, 1.0 - step / 100, 1e-4, None, None))
    curves.add_event(EvalFinished(63, 1.0, "validation", {"loss": 0.5, "f1": 0.7}))
    curves.flush()
    assert curves.plots_shown() and not curves.placeholder.isVisible()
    assert points(curves.live.metric) == [63]
    qtbot.waitUntil(lambda: curves.plots["loss"].viewRange()[0][1] >= 63)  # ranges follow at the next paint
    loss_range = curves.plots["loss"].viewRange()[0]
    metric_range = curves.plots["metric"].viewRange()[0]
    assert metric_range == loss_range and loss_range[0] <= 10 and loss_range[1] >= 63  # not 62.6 to 63.4
    curves.clear()
    assert not curves.plots_shown()


def test_the_advanced_group_holds_the_engine_settings_and_round_trips_them(train_view):
    train_view.show()
    assert not train_view.advanced.is_expanded() and not train_view.dropout_masks.isVisible()
    for field in (train_view.precision, train_view.dropout_masks, train_view.first_token, train_view.sparse_embeddings,
                  train_view.extra_metrics, train_view.checkpointing, train_view.group_by_length,
                  train_view.logging_steps, train_view.save_total_limit, train_view.seed):
        assert train_view.advanced.body.isAncestorOf(field)
    train_view.advanced.set_expanded(True)
    assert train_view.dropout_masks.isVisible()

    config = RunConfig()
    t = config.training
    t.precision, t.dropout_masks, t.last_layer_first_token, t.sparse_embeddings = "bf16", "torch", False, False
    t.extra_metrics, t.gradient_checkpointing, t.group_by_length = ["matthews_correlation", "mae"], True, False
    t.logging_steps, t.save_total_limit, t.seed = 3, 4, 7
    train_view.show_config(config)
    assert train_view.extra_metrics.text() == "matthews_correlation, mae"
    written = RunConfig()
    train_view.update_config(written)
    assert written.training == config.training


def test_fields_keep_their_width(train_view):
    train_view.resize(1400, 900)
    train_view.show()
    assert train_view.batch_size.width() < 150 and train_view.warmup_ratio.width() < 150


def test_settings_left_to_the_engine_say_what_the_run_chose(train_view, qtbot, tiny_config):
    tiny_config.training.learning_rate, tiny_config.training.max_steps = None, -1
    tiny_config.training.epochs, tiny_config.training.precision = None, "auto"
    tiny_config.data.max_train_rows = 16  # sized epochs on 16 rows: a few seconds
    from workbench.core.events import RunStarted

    started = []
    train_view.worker.event_received.connect(lambda e: started.append(e) if isinstance(e, RunStarted) else None)
    result = run_from_start_button(train_view, qtbot, tiny_config)
    assert isinstance(result, RunFinished), result
    event = started[0]
    assert train_view.epochs_chosen.text() == f"auto: {event.epochs:g} epoch{'' if event.epochs == 1 else 's'}"
    assert train_view.lr_chosen.text() == f"auto: {event.learning_rate:.3g}"
    assert train_view.precision_chosen.text() == f"auto: {event.precision}"
    train_view.show_config(tiny_config)
    assert train_view.epochs_chosen.text() == ""
