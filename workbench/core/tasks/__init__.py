"""Task knowledge, the bottom layer of the engine: one module per task (single_label, pair,
multi_label, token, qa) saying what the task means to the engine (its model class, how it reads raw
columns, encodes and batches a split, its metrics, how logits become answers, what its result rows
and predictions hold), and the pieces they are built from: `columns` and `qa_columns` (raw columns to
standard ones), `windows` and `qa_windows` (long texts), `spans`, `scores` and `qa_scores`,
`batches` (collating and batched forward passes) and `prediction`.

May import: the top of core (config, errors) only. Everything else in the engine asks `get_task`
once per run and hands the task object on; it branches on no task name.

Importing this package is cheap (the GUI reads task names and titles): each module imports torch,
transformers and datasets only inside the methods that need them.
"""

from __future__ import annotations

import numpy as np

from workbench.core.config import TASKS
from workbench.core.errors import WorkbenchError
from workbench.core.tasks import multi_label, pair, qa, single_label, token
from workbench.core.tasks.base import Task

__all__ = ["Task", "get_task", "probabilities", "task_of_model"]

# Imported by name, not by import_module, so PyInstaller's analysis finds every task module.
_MODULES = {"single_label": single_label, "pair": pair, "multi_label": multi_label, "token": token, "qa": qa}


def get_task(name: str | Task) -> Task:
    """The task of that name; a task object is returned as it is, so functions take either."""
    if isinstance(name, Task):
        return name
    if name not in TASKS:
        raise WorkbenchError(f"The task '{name}' is not one of {', '.join(TASKS)}.")
    return _MODULES[name].TASK


def task_of_model(model_config: dict) -> str:
    """The task a saved model's config.json describes (a pair model reads as single_label: its run says pair)."""
    found = [name for name in TASKS if get_task(name).describes(model_config)]
    return found[0] if found else "single_label"


def probabilities(logits: np.ndarray, task: str | Task) -> np.ndarray:
    """Class probabilities as the task reads them (independent sigmoids for multi-label, else a softmax)."""
    return get_task(task).probabilities(logits)
