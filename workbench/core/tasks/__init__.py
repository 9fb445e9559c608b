"""The tasks, one module each: what a task means to the engine (its model class, how it encodes a
split, its metrics, how logits become answers, what its result rows and predictions hold). The rest
of the engine asks `get_task(config.task.type)` and branches on nothing else.

Importing this package is cheap (the GUI reads task names and titles): each module imports torch,
transformers and datasets only inside the methods that need them.
"""

from __future__ import annotations

from workbench.core.config import TASKS
from workbench.core.errors import WorkbenchError
from workbench.core.tasks import multi_label, pair, qa, single_label, token
from workbench.core.tasks.base import Task

__all__ = ["Task", "get_task", "task_of_model"]

# Imported by name, not by import_module, so PyInstaller's analysis finds every task module.
_MODULES = {"single_label": single_label, "pair": pair, "multi_label": multi_label, "token": token, "qa": qa}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise WorkbenchError(f"The task '{name}' is not one of {', '.join(TASKS)}.")
    return _MODULES[name].TASK


def task_of_model(model_config: dict) -> str:
    """The task a saved model's config.json describes (a pair model reads as single_label: its run says pair)."""
    found = [name for name in TASKS if get_task(name).describes(model_config)]
    return found[0] if found else "single_label"
