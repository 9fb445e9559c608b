"""Extra `evaluate` metrics named in training.extra_metrics, computed beside the built-in ones.

Each is loaded when the run is checked, before any run folder exists, so a misspelt id or an
unreachable Hub fails first, in one sentence. At each evaluation a module gets `predictions` and
`references` as class ids (single_label, pair), 0/1 rows (multi_label) or the tag ids of the
labelled tokens, flattened (token), or as the `squad` and `squad_v2` modules take them (qa: one
prediction text per question id, the question's answers as references). Each scalar it returns is reported as `<key>`, or as
`<module>_<key>` where `<key>` is already taken.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.hub import hub_unreachable_reason, is_hub_id
from workbench.core.tasks import Task, get_task

log = logging.getLogger(__name__)

# What the Trainer adds to each evaluation's metrics itself
TRAINER_KEYS = frozenset({"loss", "runtime", "samples_per_second", "steps_per_second", "epoch"})


@dataclass(frozen=True)
class ExtraMetric:
    name: str  # as listed in training.extra_metrics
    module: Any  # an evaluate.EvaluationModule

    @property
    def short_name(self) -> str:
        """The prefix of its keys when they clash: the folder's or the id's last part."""
        return Path(self.name.rstrip("/")).name


def load_extra_metrics(names: list[str]) -> list[ExtraMetric]:
    return [load_extra_metric(name) for name in names]


def load_extra_metric(name: str) -> ExtraMetric:
    """An `evaluate` module by Hub id (needs the internet) or from a local folder holding its script."""
    if is_hub_id(name):
        reason = hub_unreachable_reason()  # evaluate itself would retry for a while before giving up
        if reason:
            raise _unloadable(name, f"the Hugging Face Hub cannot be reached: {reason}")
    import evaluate

    try:
        return ExtraMetric(name, evaluate.load(name if is_hub_id(name) else str(Path(name).expanduser())))
    except Exception as exc:  # evaluate raises what the module script raises too
        log.info("Loading the metric %s failed", name, exc_info=True)
        folder = Path(name).expanduser()
        if folder.is_dir() and not (folder / f"{folder.name}.py").is_file():
            raise _unloadable(name, f"the folder holds no module script {folder.name}.py") from exc
        raise _unloadable(name, f"{type(exc).__name__}: {_first_line(exc)}") from exc


def extra_metric_values(extras: list[ExtraMetric], task: str | Task, preds: np.ndarray, labels: np.ndarray,
                        taken: set[str]) -> dict[str, float]:
    """Every extra metric's scalar results on one evaluation; `taken` holds the keys already reported.

    `preds` are what `build_compute_metrics` sees: class or tag ids, or multi-label probabilities."""
    task = get_task(task)
    predictions, references = task.metric_inputs(preds, labels)
    out: dict[str, float] = {}
    for extra in extras:
        try:
            result = extra.module.compute(predictions=predictions, references=references) or {}
        except Exception as exc:
            log.info("The metric %s failed", extra.name, exc_info=True)
            raise WorkbenchError(
                f"training.extra_metrics names '{extra.name}', which failed on the {task.name} predictions "
                f"({type(exc).__name__}: {_first_line(exc)}); check what its module expects as predictions and references."
            ) from exc
        for key, value in result.items():
            if not _is_scalar(value):
                continue
            name = key if key not in taken | TRAINER_KEYS | out.keys() else f"{extra.short_name}_{key}"
            out[name] = float(value)
    return out


def _is_scalar(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and np.issubdtype(value.dtype, np.number)
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def _unloadable(name: str, reason: str) -> WorkbenchError:
    return WorkbenchError(
        f"training.extra_metrics names '{name}', which could not be loaded (offline or misspelt: {reason}); "
        "name an evaluate module id, or a folder that holds one module script named after the folder."
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else "no details"
