"""The bridge from the engine to Qt: `train()` (or a comparison, `run_comparison()`) runs in a QThread,
its events arrive on the UI thread.

The engine may report progress and a loss every step. Events cross the thread boundary as queued
signals and are collected in a list; a timer tick hands them on in order, keeping only the newest of
the progress reports since the last tick. Every other event is handed on.

Python's full garbage collection stops every thread, the UI's too, for as long as it walks the
heap, and the Trainer starts each run with one, in the training thread (accelerate's
`free_memory`). The heap that exists when a run starts is frozen (`gc.freeze`), so that collection
and the later ones walk only what was made since. When the run has ended, one collection on the UI
thread frees what it left (its Trainer and model), before a next run's start could freeze them for
good. The app's other collections run on the UI thread too (`app.collect_garbage_on_ui_thread`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from workbench.core.config import RunConfig
from workbench.core.errors import WorkbenchError
from workbench.core.events import Event, ProgressReported, RunFailed, VariantEvent
from workbench.core.training.control import RunControl

TICK_MS = 50

Job = Callable[[Callable[[object], None], RunControl], object]  # (sink, control) -> the result


class _TrainingThread(QThread):
    event_emitted = Signal(object)

    def __init__(self, job: Job, control: RunControl, parent: QObject | None = None):
        super().__init__(parent)
        self._job = job
        self._control = control
        self.result: object = None

    def run(self) -> None:
        try:
            self.result = self._job(self._on_engine_event, self._control)
        except WorkbenchError as exc:  # a comparison folder that cannot be read
            self.result = RunFailed(str(exc))
            self.event_emitted.emit(self.result)
        except Exception as exc:  # train() reports user errors itself; this keeps the UI from waiting forever
            logging.getLogger(__name__).error("The run failed", exc_info=exc)
            self.result = RunFailed(f"Training stopped on an unexpected error ({type(exc).__name__}); "
                                    "the log has the details for a bug report.")
            self.event_emitted.emit(self.result)

    def _on_engine_event(self, event: Event) -> None:
        self.event_emitted.emit(event)


class TrainingWorker(QObject):
    """Runs one training (or comparison) at a time. `event_received(event)` in order; `finished(result)` last:
    RunFinished | RunFailed, or for a comparison ComparisonFinished (RunFailed if it could not start)."""

    event_received = Signal(object)
    finished = Signal(object)
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: _TrainingThread | None = None
        self._control = RunControl()
        self._pending: list[Event] = []
        self._tick = QTimer(self, interval=TICK_MS)
        self._tick.timeout.connect(self._on_tick_timeout)

    @property
    def is_running(self) -> bool:
        return self._thread is not None

    @property
    def is_paused(self) -> bool:
        return self.is_running and self._control.paused

    def start(self, config: RunConfig | None, resume_dir: str | Path | None = None) -> None:
        """Train `config`, or with `resume_dir` continue that run (its own config is used then)."""
        from_dir = str(resume_dir) if resume_dir else None

        def job(sink, control):
            from workbench.core.training.run import train

            return train(config, sink, control, resume_dir=from_dir)

        self.start_job(job)

    def start_comparison(self, folder: str | Path) -> None:
        """Run the comparison in `folder` (its variants not finished); `finished` carries ComparisonFinished."""
        def job(sink, control):
            from workbench.core.compare.comparison import run_comparison

            return run_comparison(folder, sink, control)

        self.start_job(job)

    def start_job(self, job: Job) -> None:
        if self._thread is not None:
            raise RuntimeError("A training run is already running.")
        self._control = RunControl()
        self._thread = _TrainingThread(job, self._control, self)
        self._thread.event_emitted.connect(self._on_thread_event_emitted)
        self._thread.finished.connect(self._on_thread_finished)
        self._tick.start()
        gc.freeze()
        self._thread.start()
        self.running_changed.emit(True)

    def pause(self) -> None:
        self._control.pause()

    def resume(self) -> None:
        self._control.resume()

    def stop(self) -> None:
        """Ask the run to end after the current step; the engine saves a checkpoint and reports stopped."""
        self._control.request_stop()

    @Slot(object)
    def _on_thread_event_emitted(self, event: Event) -> None:
        self._pending.append(event)

    @Slot()
    def _on_tick_timeout(self) -> None:
        self._deliver_pending()

    def _deliver_pending(self) -> None:
        events, self._pending = self._pending, []
        last_progress = max((i for i, e in enumerate(events) if _is_progress(e)), default=-1)
        for i, event in enumerate(events):
            if i == last_progress or not _is_progress(event):
                self.event_received.emit(event)

    @Slot()
    def _on_thread_finished(self) -> None:
        self._tick.stop()
        self._deliver_pending()  # the run's last events, handed on while it still counts as running
        thread, self._thread = self._thread, None
        result = thread.result
        thread.wait()  # `finished` comes just before the thread ends; deleting it earlier would abort
        gc.collect()
        thread.deleteLater()
        self.running_changed.emit(False)
        self.finished.emit(result)


def _is_progress(event: object) -> bool:
    """A progress report, of a run or of a comparison's variant: only the newest of a tick is handed on."""
    return isinstance(event, ProgressReported) or (isinstance(event, VariantEvent)
                                                   and isinstance(event.event, ProgressReported))
