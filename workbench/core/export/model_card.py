"""The README.md model card of an exported run: what was trained, on what, how, and how well."""

from __future__ import annotations

import time
from pathlib import Path

from workbench.core.config import BUNDLED_BACKBONE, RunConfig
from workbench.core.hub import is_hub_id
from workbench.core.runs import MODEL, read_status, run_config
from workbench.core.tasks import get_task

BUNDLED_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"  # what the bundled backbone is a copy of
SPLITS = ("validation", "test")


def model_card(run_dir: str | Path) -> str:
    from workbench.core.export.predict import SavedModel

    run_dir = Path(run_dir)
    config, status = run_config(run_dir), read_status(run_dir) or {}
    saved = SavedModel.read(run_dir / MODEL)
    task, t = get_task(config.task.type), config.training
    pipeline_tag = task.pipeline_tag
    base = BUNDLED_HUB_ID if config.backbone.name == BUNDLED_BACKBONE else (
        config.backbone.name if is_hub_id(config.backbone.name) else None)
    front = ["---", "library_name: transformers", f"pipeline_tag: {pipeline_tag}"]
    front += [f"base_model: {base}"] if base else []
    front += ["tags:", "- bert-workbench", f"- {pipeline_tag}", "---"]
    frozen = frozen_modules(config, saved.path)
    settings = {"learning rate": status.get("learning_rate", t.learning_rate), "batch size": t.batch_size,
                "epochs": status.get("epochs", t.epochs),
                "max steps": t.max_steps if t.max_steps > 0 else None, "warmup ratio": t.warmup_ratio,
                "weight decay": t.weight_decay, "gradient clipping": t.max_grad_norm,
                "max length": saved.max_length, "seed": t.seed}
    lo = config.lora
    lora = [f"- **LoRA:** rank {lo.rank}, alpha {lo.alpha}, dropout {lo.dropout} on "
            + ", ".join(f"`{name}`" for name in lora_targets(config, saved.path))
            + " outside the frozen layers, merged into these weights"] if lo.enabled else []
    data = config.data.source if is_hub_id(config.data.source) else f"{Path(config.data.source).name} (a local file)"
    lines = front + [
        "", f"# {run_dir.name}", "",
        f"A {task.title} model fine-tuned with the BERT fine-tuning workbench.", "",
        f"- **Task:** {task.name}",
        f"- **Backbone:** {base or config.backbone.name}",
        f"- **Data:** {data}",
        f"- **Labels ({len(saved.label_names)}):** {', '.join(saved.label_names)}",
        f"- **Freeze:** preset `{config.freeze.preset}`; frozen: "
        + (", ".join(f"`{name}`" for name in frozen) if frozen else "nothing"),
        *lora,
        f"- **Trained:** {status.get('ended') or status.get('created') or '?'}; "
        f"exported {time.strftime('%Y-%m-%d %H:%M')}",
        "", "## Training settings", "", "| setting | value |", "|---|---|",
        *(f"| {name} | {value} |" for name, value in settings.items() if value is not None),
        "", "## Metrics (best checkpoint)", "", *metrics_table(status.get("final_metrics") or {}),
        "", "## How to use", "", "```python", *task.usage(), "```", "",
    ]
    return "\n".join(lines)


def frozen_modules(config: RunConfig, model_dir: Path) -> list[str]:
    """The module paths the run froze: its custom list, or what its preset freezes in this model."""
    if config.freeze.preset == "custom":
        return list(config.freeze.frozen)
    from workbench.core.model.freezing import preset_frozen

    return preset_frozen(layer_tree(config, model_dir), config.freeze.preset)


def lora_targets(config: RunConfig, model_dir: Path) -> list[str]:
    """The names of the Linear modules the run's adapters were on: its lora.target_modules, or the
    architecture's own when that list is empty."""
    if config.lora.target_modules:
        return list(config.lora.target_modules)
    from workbench.core.model.lora import default_target_names

    return default_target_names(layer_tree(config, model_dir))[0]


def layer_tree(config: RunConfig, model_dir: Path):
    """The layer tree of the saved model, from its config alone."""
    import torch
    from transformers import AutoConfig

    from workbench.core.model.freezing import build_layer_tree

    with torch.device("meta"):  # the module tree alone: no weights are read or allocated
        model = get_task(config.task.type).auto_class().from_config(AutoConfig.from_pretrained(model_dir))
    return build_layer_tree(model)


def metrics_table(final_metrics: dict[str, float]) -> list[str]:
    """A metric-by-split table from `validation_f1`-style keys."""
    splits = [split for split in SPLITS if any(key.startswith(f"{split}_") for key in final_metrics)]
    if not splits:
        return ["No metrics were recorded (the run did not finish)."]
    names = list(dict.fromkeys(key.split("_", 1)[1] for key in final_metrics if key.split("_", 1)[0] in splits))
    rows = [f"| {name} | " + " | ".join(_cell(final_metrics.get(f"{split}_{name}")) for split in splits) + " |"
            for name in names]
    return ["| metric | " + " | ".join(splits) + " |", "|---|" + "---:|" * len(splits), *rows]


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"
