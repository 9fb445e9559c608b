"""Comparisons: variants of one run config trained one after another, on the same data and seed.

    <runs_root>/comparisons/<name>-<stamp>/
        comparison.json   the base config, the variants, and for each its run folder, status, train
                          time and peak memory (rewritten atomically as the comparison goes)
        table.csv         one row per variant that ran: raw numbers
        table.md          the same, formatted, as `workbench compare` prints it
        curves.png        the overlaid curves, drawn by the UI package (workbench.ui.views.comparison_plot)

Each variant is an ordinary run in the runs root, named `<name>-<variant>`, that can be opened,
resumed and exported as any other. `run_comparison` runs the variants not finished, so a comparison
stopped or killed half way goes on where it was: an interrupted variant continues from its
checkpoint when it has one, and starts again when it has none.
"""

from __future__ import annotations

import csv
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

from workbench.core.config import ConfigError, RunConfig
from workbench.core.errors import WorkbenchError
from workbench.core.training.control import RunControl
from workbench.core.events import (
    ComparisonFinished, ComparisonSink, ComparisonStarted, Event, ProgressReported, RunFailed,
    RunStarted, StepLogged, VariantEvent, VariantFinished, VariantStarted,
)
from workbench.core.compare.variants import Variant, check_names, variant_config
from workbench.core.runs import last_checkpoint, read_events, read_status, write_json_atomic

COMPARISONS, COMPARISON_FILE = "comparisons", "comparison.json"
TABLE_CSV, TABLE_MD, CURVES_PNG = "table.csv", "table.md", "curves.png"
MEMORY_RSS, MEMORY_CUDA = "peak memory (MiB, process RSS)", "peak memory (MiB, CUDA allocated)"
FIRST_COLUMNS = ("variant", "status", "trainable params", "train time (s)", "samples/s", "final train loss")
_DECIMALS = {"train time (s)": 1, "samples/s": 1, MEMORY_RSS: 0, MEMORY_CUDA: 0}


def new_comparison(base: RunConfig, variants: list[Variant], name: str = "comparison") -> Path:
    """Check every variant, then create the comparison's folder under the base's runs root."""
    check_names(variants)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise WorkbenchError(f"The comparison name '{name}' may hold only letters, digits, '_', '-' and '.'.")
    try:
        base.checked()
    except ConfigError as exc:
        raise WorkbenchError(f"The base config of the comparison is not valid: {' '.join(exc.problems)}") from None
    for variant in variants:  # a typo in the last variant is refused before the first one trains
        variant_config(base, variant, name)
    root = Path(base.output.runs_root).expanduser() / COMPARISONS
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder, n = root / f"{name}-{stamp}", 1
    while folder.exists():
        n += 1
        folder = root / f"{name}-{stamp}-{n}"
    folder.mkdir(parents=True)
    write_json_atomic(folder / COMPARISON_FILE, {
        "name": name, "created": time.strftime("%Y-%m-%d %H:%M:%S"), "base": base.to_dict(),
        "variants": [{**v.to_dict(), "status": "pending", "run_dir": None} for v in variants],
    })
    return folder


def load_comparison(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / COMPARISON_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkbenchError(f"{folder} is not a comparison folder (it has no {COMPARISON_FILE}).") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        raise WorkbenchError(f"The comparison file {path} cannot be read as JSON.") from None
    if not isinstance(state, dict) or not isinstance(state.get("variants"), list) or "base" not in state:
        raise WorkbenchError(f"The comparison file {path} lacks its base config or its variants.")
    return state


def run_comparison(folder: str | Path, sink: ComparisonSink | None = None,
                   control: RunControl | None = None) -> ComparisonFinished:
    """Train the comparison's variants that are not finished, one after another, then write its tables.

    A stop request ends the running variant as a stopped run (with a checkpoint) and starts no other.
    """
    from workbench.core.model.device import pick_device

    folder = Path(folder)
    sink = sink if sink is not None else (lambda event: None)
    control = control or RunControl()
    state = load_comparison(folder)
    base = RunConfig.from_dict(state["base"], source=str(folder / COMPARISON_FILE))
    state["memory"] = MEMORY_CUDA if pick_device() == "cuda" else MEMORY_RSS
    todo = [entry for entry in state["variants"] if entry["status"] != "finished"]
    sink(ComparisonStarted(str(folder), [entry["name"] for entry in todo]))
    for index, entry in enumerate(todo):
        if control.stop_requested:
            break
        _run_variant(folder, state, entry, base, index, len(todo), sink, control)
        header, rows = comparison_table(state)
        sink(VariantFinished(entry["name"], entry["status"], entry["run_dir"], entry.get("message"), header, rows))
        if entry["status"] == "stopped":
            break
    header, rows = write_tables(folder, state)
    unfinished = [entry["name"] for entry in state["variants"] if entry["status"] != "finished"]
    finished = ComparisonFinished(str(folder), unfinished, header, rows, markdown_table(header, rows))
    sink(finished)
    return finished


def _run_variant(folder: Path, state: dict[str, Any], entry: dict[str, Any], base: RunConfig, index: int,
                 total: int, sink: ComparisonSink, control: RunControl) -> None:
    from workbench.core.training.run import train

    name = entry["name"]
    resume = entry["run_dir"] if (entry["status"] in ("running", "stopped") and entry["run_dir"]
                                  and last_checkpoint(Path(entry["run_dir"])) is not None) else None
    config = None if resume else variant_config(base, Variant(name, entry["changes"]), state["name"])
    if not resume:  # a fresh start: what an earlier attempt measured no longer counts
        entry.update(run_dir=None, train_seconds=0.0, train_samples=0.0, peak_memory_mib=None)
    entry.update(status="running", message=None)
    write_json_atomic(folder / COMPARISON_FILE, state)
    sink(VariantStarted(name, index, total, resume is not None))
    last: list[ProgressReported] = []

    def on_event(event: Event) -> None:
        if isinstance(event, RunStarted) and entry["run_dir"] != event.run_dir:
            entry["run_dir"] = event.run_dir
            write_json_atomic(folder / COMPARISON_FILE, state)
        elif isinstance(event, ProgressReported):
            last[:] = [event]
        sink(VariantEvent(name, event))

    with PeakMemory(state["memory"] == MEMORY_CUDA) as peak:
        result = train(config, on_event, control, resume_dir=resume)
    if last:  # this session's training time and samples (a resumed run counts from its checkpoint)
        seconds = last[0].elapsed_seconds
        entry["train_seconds"] = entry.get("train_seconds", 0.0) + seconds
        entry["train_samples"] = entry.get("train_samples", 0.0) + (last[0].samples_per_second or 0.0) * seconds
    entry["peak_memory_mib"] = max(entry.get("peak_memory_mib") or 0.0, peak.mib)
    if isinstance(result, RunFailed):
        entry.update(status="failed", message=result.message, run_dir=result.run_dir or entry["run_dir"])
    else:
        entry.update(status="stopped" if result.stopped else "finished", run_dir=result.run_dir)
    write_json_atomic(folder / COMPARISON_FILE, state)


class PeakMemory:
    """One variant's peak memory in MiB: on a GPU the CUDA allocator's peak (reset at the start); on a
    CPU the process's resident set, sampled every 50 ms in a thread (so it includes what the process
    held before the variant began)."""

    def __init__(self, cuda: bool):
        self.cuda = cuda
        self.mib = 0.0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "PeakMemory":
        if self.cuda:
            import torch

            torch.cuda.reset_peak_memory_stats()
        else:
            self._thread = threading.Thread(target=self._sample, name="peak-memory", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.cuda:
            import torch

            self.mib = torch.cuda.max_memory_allocated() / 2**20
        else:
            self._done.set()
            self._thread.join()

    def _sample(self) -> None:
        import psutil

        process = psutil.Process()
        while True:
            self.mib = max(self.mib, process.memory_info().rss / 2**20)
            if self._done.wait(0.05):
                return


def comparison_table(state: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The header and one row of raw values per variant that has run (None where nothing was measured)."""
    measured = [_measured(entry) for entry in state["variants"] if entry["status"] != "pending"]
    metric_names = sorted({k for _, metrics in measured for k in metrics},
                          key=lambda k: (not k.startswith("validation_"), k))
    header = [*FIRST_COLUMNS, *metric_names, state.get("memory", MEMORY_RSS)]
    rows = [[*values[:-1], *(metrics.get(k) for k in metric_names), values[-1]] for values, metrics in measured]
    return header, rows


def _measured(entry: dict[str, Any]) -> tuple[list[Any], dict[str, float]]:
    """A variant's first columns and peak memory, and its final metrics, from its run folder."""
    run_dir = Path(entry["run_dir"]) if entry.get("run_dir") else None
    events = read_events(run_dir) if run_dir else []
    started = next((e for e in reversed(events) if isinstance(e, RunStarted)), None)
    loss = next((e.loss for e in reversed(events) if isinstance(e, StepLogged)), None)
    metrics = ((read_status(run_dir) or {}).get("final_metrics") or {}) if run_dir else {}
    seconds = entry.get("train_seconds") or None
    rate = entry.get("train_samples", 0.0) / seconds if seconds else None
    values = [entry["name"], entry["status"], started.trainable_params if started else None, seconds, rate, loss,
              entry.get("peak_memory_mib")]
    return values, metrics


def format_cell(column: str, value: Any) -> str:
    """A table value as the Markdown table and the GUI show it."""
    if value is None:
        return "–"
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{_DECIMALS.get(column, 4)}f}"


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i < 2 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(format_cell(c, v) for c, v in zip(header, row)) + " |" for row in rows]
    return "\n".join(lines)


def write_tables(folder: Path, state: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """table.csv (raw values) and table.md (formatted) in the comparison folder."""
    header, rows = comparison_table(state)
    tmp = folder / f".{TABLE_CSV}.tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    tmp.replace(folder / TABLE_CSV)
    tmp = folder / f".{TABLE_MD}.tmp"
    tmp.write_text(markdown_table(header, rows) + "\n", encoding="utf-8")
    tmp.replace(folder / TABLE_MD)
    return header, rows
