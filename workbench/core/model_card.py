"""The README.md model card of an exported run: what was trained, on what, how, and how well."""

from __future__ import annotations

import time
from pathlib import Path

from workbench.core.hub import is_hub_id
from workbench.core.runs import read_status, run_config

PIPELINE_TAGS = {"token": "token-classification"}
TASK_NAMES = {"single_label": "text classification", "pair": "sentence-pair classification",
              "multi_label": "multi-label text classification", "token": "token classification (NER)"}
BUNDLED_HUB_IDS = {"bundled:all-MiniLM-L6-v2": "sentence-transformers/all-MiniLM-L6-v2"}


def model_card(run_dir: Path, label_names: list[str]) -> str:
    config, status = run_config(run_dir), read_status(run_dir) or {}
    task, t = config.task.type, config.training
    pipeline_tag = PIPELINE_TAGS.get(task, "text-classification")
    base = BUNDLED_HUB_IDS.get(config.backbone.name, config.backbone.name if is_hub_id(config.backbone.name) else None)
    front = ["---", "library_name: transformers", f"pipeline_tag: {pipeline_tag}"]
    front += [f"base_model: {base}"] if base else []
    front += ["tags:", "- bert-workbench", f"- {pipeline_tag}", "---"]
    frozen = config.freeze.frozen if config.freeze.preset == "custom" else []
    metrics = status.get("final_metrics") or {}
    settings = {"learning rate": t.learning_rate, "batch size": t.batch_size, "epochs": t.epochs,
                "max steps": t.max_steps if t.max_steps > 0 else None, "warmup ratio": t.warmup_ratio,
                "weight decay": t.weight_decay, "gradient clipping": t.max_grad_norm,
                "max length": config.task.max_length or "95th percentile of training lengths", "seed": t.seed}
    call = (f'pipeline("{pipeline_tag}", model="PATH", aggregation_strategy="first")' if task == "token"
            else f'pipeline("{pipeline_tag}", model="PATH", top_k=None)')
    example = ('classify({"text": "first sentence", "text_pair": "second sentence"})' if task == "pair"
               else 'classify("A sentence to try.")')
    lines = front + [
        "", f"# {run_dir.name}", "",
        f"A {TASK_NAMES[task]} model fine-tuned with the BERT fine-tuning workbench.", "",
        f"- **Backbone:** {base or config.backbone.name}",
        f"- **Data:** {config.data.source}",
        f"- **Labels ({len(label_names)}):** {', '.join(label_names)}",
        f"- **Freeze:** preset `{config.freeze.preset}`" + (f", frozen: {', '.join(f'`{n}`' for n in frozen)}" if frozen else ""),
        f"- **Trained:** {status.get('ended') or status.get('created') or '?'}; exported {time.strftime('%Y-%m-%d %H:%M')}",
        "", "## Training settings", "", "| setting | value |", "|---|---|",
        *(f"| {name} | {value} |" for name, value in settings.items() if value is not None),
        "", "## Metrics (best checkpoint)", "",
    ]
    lines += ["| metric | value |", "|---|---:|", *(f"| {k} | {v:.4f} |" for k, v in metrics.items())] if metrics else [
        "No metrics were recorded (the run did not finish)."]
    lines += ["", "## How to use", "", "```python", "from transformers import pipeline", "",
              f"classify = {call}", example, "```", ""]
    return "\n".join(lines)
