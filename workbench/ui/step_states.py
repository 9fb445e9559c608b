"""What the navigation says about each page's step: one short line and a kind ("idle", "busy", "done",
"warn", "error") that colours it, read from the pages as they are."""

from __future__ import annotations

import re
from pathlib import Path

from workbench.core.events import ComparisonFinished, RunFailed, RunFinished

State = tuple[str, str]

FREEZE_LABELS = {"full": "full fine-tune", "head_only": "head only", "embeddings": "embeddings frozen",
                 "lower_half": "lower half frozen", "custom": "custom mask"}
METRIC_TITLES = {"f1": "F1", "f1_macro": "macro F1", "f1_micro": "micro F1", "exact": "exact match"}


def metric_title(name: str) -> str:
    return METRIC_TITLES.get(name, name.replace("_", " "))


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def percent(value: int, maximum: int) -> int:
    return int(100 * value / maximum) if maximum > 0 else 0


def data_state(view) -> State:
    if view.error():
        return "could not be read", "error"
    report = view.report()
    if view.busy():
        return ("checking…" if report is None else "checking again…"), "busy"
    if report is None:
        return "no data yet: open a file", "idle"
    rows = sum(report.split_counts.values())
    labels = {label for counts in report.label_counts.values() for label in counts}
    parts = [plural(rows, "row")]
    if labels:
        parts.append(plural(len(labels), "tag" if report.task == "token" else "label"))
    warnings = len(view.warnings())
    parts.append(plural(warnings, "warning") if warnings else "no warnings")
    return ", ".join(parts), "warn" if warnings else "done"


def backbone_title(name: str) -> str:
    """"bundled:all-MiniLM-L6-v2" -> "all-MiniLM-L6-v2"; a folder -> its name; a Hub id as it is."""
    if name.startswith("bundled:"):
        return name.removeprefix("bundled:")
    return Path(name).name if ("/" in name and Path(name).exists()) or name.startswith(("/", ".", "~")) else name


def model_state(view) -> State:
    name = view.backbone()
    if not name:
        return "no backbone chosen", "idle"
    if view.error():
        return f"{backbone_title(name)}: could not be read", "error"
    parameters = view.info().get("parameters", "–")
    if parameters == "–":
        return f"{backbone_title(name)}, reading…", "busy"
    millions = parameters.split(" million")[0]
    return f"{backbone_title(name)}, {millions} M", "done"


def freeze_state(view, config) -> State:
    """`config`: a run config the Freeze page has written its settings into."""
    if view.error():
        return "layers could not be read", "error"
    if config.lora.enabled:
        text = f"LoRA rank {config.lora.rank}"
    else:
        text = FREEZE_LABELS.get(config.freeze.preset, config.freeze.preset)
    share = re.search(r"\(([\d.]+)%\)", view.summary())
    if share and float(share.group(1)) < 100:
        text += f", {share.group(1)} % trains"
    if config.freeze.unfreeze_start_layers is not None:
        text += ", gradual"
    return text, "done" if share else "busy"


def run_state(running: bool, paused: bool, step: int, total: int, result: object | None) -> State:
    """The Train page: going, or how the last run ended, or ready."""
    if running:
        if step <= 0:
            return "preparing…", "busy"
        return f"{'paused' if paused else 'running'} {percent(step, total)} %", "busy"
    if isinstance(result, RunFailed):
        return "failed", "error"
    if isinstance(result, RunFinished):
        verb = "stopped" if result.stopped else "finished"
        if result.best_metric is None:
            return verb, "done"
        return f"{verb}, {metric_title(result.metric_name)} {result.best_metric:.2f}", "warn" if result.warnings else "done"
    return "ready: press Start", "idle"


def compare_state(running: bool, step: int, total: int, variant: str, result: object | None, checked: int) -> State:
    if running:
        return (f"{variant}: {percent(step, total)} %" if variant else "preparing…"), "busy"
    if isinstance(result, RunFailed):
        return "failed", "error"
    if isinstance(result, ComparisonFinished):
        left = f", {len(result.unfinished)} left" if result.unfinished else ""
        return f"{plural(len(result.rows), 'variant')} compared{left}", "warn" if result.unfinished else "done"
    return f"{plural(checked, 'variant')} checked", "idle"


def runs_state(count: int) -> State:
    return (plural(count, "run"), "done") if count else ("no runs yet", "idle")


def results_state(run_dir: Path | None) -> State:
    return (f"available: {run_dir.name}", "done") if run_dir is not None else ("not yet: train a run", "idle")


def try_state(ready: bool) -> State:
    return ("model loaded", "done") if ready else ("not yet: train a run", "idle")

