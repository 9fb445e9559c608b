"""The bundled demo: data this project ships in `resources/demo`, and run configs that train on it."""

from __future__ import annotations

from workbench.core.config import RunConfig
from workbench.paths import RESOURCES, default_runs_root

DEMO_DIR = RESOURCES / "demo"
DEMO_CSV = DEMO_DIR / "tickets.csv"
DEMO_CONLL = DEMO_DIR / "ner_sample.conll"
DEMO_SQUAD = DEMO_DIR / "qa_sample.json"


def demo_config(task: str = "single_label", runs_root: str | None = None) -> RunConfig:
    """A config that trains the bundled backbone on the demo data in about a minute on 2 cores.

    Its training settings are the engine's defaults: epochs and learning rate left empty, so the
    engine sizes them to the data (`workbench.core.training.schedule`), as it does for a user's own
    data; the window resets what the user did not change to these defaults when another source is
    opened (`MainWindow`)."""
    config = RunConfig()
    config.output.runs_root = runs_root or default_runs_root()
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
