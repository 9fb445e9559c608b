"""Run folders: each run writes its config, its events and its status as it goes.

    <runs_root>/<stamp>-<name>/
        config.json      the RunConfig that produced it
        metrics.jsonl    one event per line, appended and flushed as it happens
        status.json      running / finished / stopped / failed, best metric, warnings, pid (rewritten atomically)
        checkpoints/     Trainer checkpoints (optimizer and scheduler state included), for resuming
        model/           the final model and tokenizer (a LoRA run's with its adapters merged in)
        adapter/         a LoRA run's adapter alone (adapter_config.json, adapter_model.safetensors)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.config import RunConfig, load_config
from workbench.core.events import (
    Event, EventSink, ProgressReported, RunFailed, RunFinished, RunStarted, event_from_dict, event_to_dict,
)

CONFIG_FILE, EVENTS_FILE, STATUS_FILE = "config.json", "metrics.jsonl", "status.json"
CHECKPOINTS, MODEL, ADAPTER = "checkpoints", "model", "adapter"


def new_run_dir(config: RunConfig) -> Path:
    """A fresh, uniquely named folder under the runs root (not created)."""
    root = Path(config.output.runs_root).expanduser()
    name = config.output.run_name or f"{config.task.type}-{Path(config.data.source.rstrip('/')).stem or 'data'}"
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "run"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate, n = root / f"{stamp}-{name}", 1
    while candidate.exists():
        n += 1
        candidate = root / f"{stamp}-{name}-{n}"
    return candidate


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class RunRecorder:
    """An event sink that writes each event to the run folder, then passes it on."""

    def __init__(self, run_dir: Path, config: RunConfig, sink: EventSink | None = None):
        self.run_dir = run_dir
        self.sink = sink
        run_dir.mkdir(parents=True, exist_ok=True)
        if not (run_dir / CONFIG_FILE).exists():
            config.save(run_dir / CONFIG_FILE)
        self.status: dict[str, Any] = read_status(run_dir) or {
            "task": config.task.type, "backbone": config.backbone.name, "data": config.data.source,
            "metric_name": config.training.metric_for_best, "best_metric": None,
            "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        self._update_status(status="running", pid=os.getpid(), message=None)
        self._events = open(run_dir / EVENTS_FILE, "a", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        self.write(event)
        if isinstance(event, RunStarted):
            self._update_status(total_steps=event.total_steps, epochs=event.epochs, learning_rate=event.learning_rate)
        elif isinstance(event, RunFinished):
            self._update_status(status="stopped" if event.stopped else "finished", best_metric=event.best_metric,
                                final_metrics=event.final_metrics, warning=event.warning,
                                class_warning=event.class_warning,
                                ended=time.strftime("%Y-%m-%d %H:%M:%S"))
        elif isinstance(event, RunFailed):
            self._update_status(status="failed", message=event.message, ended=time.strftime("%Y-%m-%d %H:%M:%S"))
        if self.sink is not None:
            self.sink(event)

    def write(self, event: Event) -> None:
        """Record an event without passing it on (for events emitted before the folder existed)."""
        if not isinstance(event, ProgressReported):  # progress is derivable; keep the log to what matters
            self._events.write(json.dumps(event_to_dict(event)) + "\n")
            self._events.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):  # a full disk was already reported as the run's failure
            self._events.close()

    def _update_status(self, **changes: Any) -> None:
        self.status.update(changes)
        write_json_atomic(self.run_dir / STATUS_FILE, self.status)


def read_status(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def read_events(run_dir: Path) -> list[Event]:
    """The events a run recorded, skipping a torn last line (a run killed mid-write)."""
    events = []
    try:
        lines = (Path(run_dir) / EVENTS_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return events
    for line in lines:
        try:
            events.append(event_from_dict(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return events


def last_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint. Trainer writes `trainer_state.json` last, so a checkpoint cut
    short by a killed process (which `get_last_checkpoint` would pick) lacks it and is skipped."""
    folder = Path(run_dir) / CHECKPOINTS
    if not folder.is_dir():
        return None
    steps = [(int(m.group(1)), p) for p in folder.iterdir() if (m := re.fullmatch(r"checkpoint-(\d+)", p.name))]
    return next((p for _, p in sorted(steps, reverse=True) if (p / "trainer_state.json").is_file()), None)


def process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class RunSummary:
    path: Path
    status: str
    task: str
    best_metric: float | None
    metric_name: str
    created: str
    resumable: bool
    warning: str | None = None  # the run ended near chance level
    class_warning: str | None = None  # its validation predictions never use some classes

    @property
    def warnings(self) -> list[str]:
        """The run's warning sentences: near chance, then unused classes."""
        return [sentence for sentence in (self.warning, self.class_warning) if sentence]


def interrupted_run(runs_root: str | Path, passed_over: set[str] = frozenset()) -> tuple[RunSummary, str] | None:
    """The newest run under `runs_root` whose process ended mid-run (killed, or the computer went
    down) and that can resume, with a sentence saying so; runs in `passed_over` (paths) are skipped."""
    for run in list_runs(runs_root):
        if run.status == "interrupted" and run.resumable and str(run.path) not in passed_over:
            step = int(last_checkpoint(run.path).name.split("-")[-1])
            total = (read_status(run.path) or {}).get("total_steps")
            of = f" of {total:,}" if total else ""
            return run, (f"The run {run.path.name} was interrupted: its process ended during training. "
                         f"Resume continues it from its last checkpoint, at step {step:,}{of}.")
    return None


def list_runs(runs_root: str | Path) -> list[RunSummary]:
    """Runs under a root, newest first. A run marked running whose process is gone is "interrupted"."""
    root = Path(runs_root).expanduser()
    if not root.is_dir():
        return []
    out = []
    for run_dir in sorted((p for p in root.iterdir() if (p / CONFIG_FILE).is_file()), reverse=True):
        status = read_status(run_dir) or {}
        state = status.get("status", "unknown")
        if state == "running" and not process_alive(status.get("pid")):
            state = "interrupted"
        out.append(RunSummary(
            path=run_dir, status=state, task=status.get("task", "?"), best_metric=status.get("best_metric"),
            metric_name=status.get("metric_name", "f1"), created=status.get("created", ""),
            resumable=state != "running" and last_checkpoint(run_dir) is not None, warning=status.get("warning"),
            class_warning=status.get("class_warning"),
        ))
    return out


def run_config(run_dir: str | Path) -> RunConfig:
    return load_config(Path(run_dir) / CONFIG_FILE)
