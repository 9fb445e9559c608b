"""The bundled demo: data this project ships in `resources/demo`, and run configs that train on it."""

from __future__ import annotations

from workbench.core.config import RunConfig
from workbench.paths import RESOURCES, default_runs_root

DEMO_DIR = RESOURCES / "demo"
DEMO_CSV = DEMO_DIR / "tickets.csv"
DEMO_CONLL = DEMO_DIR / "ner_sample.conll"
DEMO_SQUAD = DEMO_DIR / "qa_sample.json"


def demo_config(task: str = "single_label", runs_root: str | None = None) -> RunConfig:
    """A config that trains the bundled backbone on the demo data in well under two minutes on 2 cores."""
    config = RunConfig()
    config.output.runs_root = runs_root or default_runs_root()
    config.training.epochs = 1
    config.training.learning_rate = 1e-4
    config.training.batch_size = 16
    config.training.logging_steps = 5
    if task == "token":
        config.task.type = "token"
        config.data.source = str(DEMO_CONLL)
        config.data.text_column, config.data.label_column = "tokens", "tags"
        config.output.run_name = "demo-ner"
    elif task == "qa":
        config.task.type = "qa"
        config.data.source = str(DEMO_SQUAD)
        config.output.run_name = "demo-qa"
    else:
        config.data.source = str(DEMO_CSV)
        config.output.run_name = "demo-tickets"
    return config
