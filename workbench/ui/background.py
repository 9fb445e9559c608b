"""Run a function off the UI thread and get its result, or its one-sentence error, back as a signal;
show that it runs, and how it failed, in a `StatusLine`.

A `BackgroundCall` runs one job at a time from the caller's point of view: starting a new job
supersedes the running one, whose result is then dropped (Python threads cannot be killed, so the
old job finishes quietly in the pool). Results only cross back to the UI thread through queued
signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from workbench.core.errors import WorkbenchError
from workbench.core.libraries import load_engine_libraries
from workbench.ui import theme

log = logging.getLogger(__name__)


class _JobSignals(QObject):
    """Lives on the UI thread (a child of its BackgroundCall); the worker only emits it."""

    done = Signal(int, bool, object)  # generation, ok, result or error sentence


class _Job(QRunnable):
    def __init__(self, generation: int, fn: Callable[..., Any], args: tuple, signals: _JobSignals):
        super().__init__()
        self._generation, self._fn, self._args, self._signals = generation, fn, args, signals

    def run(self) -> None:
        try:
            load_engine_libraries()
            ok, payload = True, self._fn(*self._args)
        except WorkbenchError as exc:
            ok, payload = False, str(exc)
        except Exception as exc:  # a bug, not bad input: log the traceback, show one sentence
            log.exception("Background job %s failed", getattr(self._fn, "__name__", self._fn))
            ok, payload = False, f"Unexpected error ({type(exc).__name__}: {exc}); the log has the details."
        try:
            self._signals.done.emit(self._generation, ok, payload)
        except RuntimeError:  # the owner (and so the signals object) was deleted meanwhile
            pass


class BackgroundCall(QObject):
    """`start(fn, *args)` calls `fn(*args)` in the thread pool; emits `returned` or `failed` on the UI thread."""

    returned = Signal(object)
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None):
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._generation = 0
        self._busy = False

    @property
    def busy(self) -> bool:
        return self._busy

    def start(self, fn: Callable[..., Any], *args: Any) -> None:
        self._generation += 1
        signals = _JobSignals(self)
        signals.done.connect(self._on_job_done)
        self._pool.start(_Job(self._generation, fn, args, signals))
        self._set_busy(True)

    def cancel(self) -> None:
        """Forget the running job: its result will be dropped."""
        self._generation += 1
        self._set_busy(False)

    @Slot(int, bool, object)
    def _on_job_done(self, generation: int, ok: bool, payload: object) -> None:
        sender = self.sender()
        if sender is not None:
            sender.deleteLater()
        if generation != self._generation:
            return
        self._set_busy(False)
        if ok:
            self.returned.emit(payload)
        else:
            self.failed.emit(str(payload))

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)


class StatusLine(QWidget):
    """A busy bar saying what is being done while a watched call runs; a failed call's sentence in red."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._busy_calls: set[BackgroundCall] = set()
        self._error = ""
        self._bar = QProgressBar()
        self._bar.setRange(0, 0)  # indeterminate
        self._bar.setFixedSize(100, 12)
        self._bar.setTextVisible(False)
        self._message = QLabel()
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._bar)
        layout.addWidget(self._message, 1)
        self._refresh()

    def watch(self, call: BackgroundCall) -> None:
        call.busy_changed.connect(self._on_call_busy_changed)
        call.failed.connect(self.show_error)

    def show_busy(self, text: str) -> None:
        """Say what the call about to start does (it replaces any error shown)."""
        self._error = ""
        self._message.setText(text)
        self._refresh()

    def show_error(self, sentence: str) -> None:
        self._error = sentence
        self._message.setText(sentence)
        self._refresh()

    def clear(self) -> None:
        self._error = ""
        self._refresh()

    def error(self) -> str:
        return self._error

    def _on_call_busy_changed(self, busy: bool) -> None:
        (self._busy_calls.add if busy else self._busy_calls.discard)(self.sender())
        self._refresh()

    def _refresh(self) -> None:
        busy = bool(self._busy_calls)
        self._bar.setVisible(busy and not self._error)
        self._message.setStyleSheet(f"color: {theme.state_colour('error', self)};" if self._error else "")
        self.setVisible(busy or bool(self._error))
