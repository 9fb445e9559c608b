"""Per-row predictions of the trained model on a split, written for the results page (see
`results`); what a line holds is the task's (`Task.result_lines`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from workbench.core.results import rows_path, summary_path
from workbench.core.runs import write_json_atomic

def write_results(run_dir: Path, task: str, label_names: list[str], split: str, raw, encoded, model, tokenizer) -> Path:
    """Write `results/<split>.jsonl` and `results/<split>.json` (metrics as the Trainer computes them);
    `raw` is the prepared split and `encoded` its tokenised form. Returns the summary's path."""
    from workbench.core.encoding import PaddingCollator
    from workbench.core.inference import row_logits
    from workbench.core.tasks import get_task

    rows, records = encoded.to_list(), raw.to_list()
    logits = row_logits(model, rows, PaddingCollator(tokenizer, task))
    lines, metrics = get_task(task).result_lines(records, rows, logits, tokenizer, label_names)

    rows_file, summary_file = rows_path(run_dir, split), summary_path(run_dir, split)
    rows_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = rows_file.with_name(f".{rows_file.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    os.replace(tmp, rows_file)
    write_json_atomic(summary_file, {"task": task, "label_names": label_names, "split": split, "rows": len(lines),
                                     "metrics": {name: float(value) for name, value in metrics.items()}})
    return summary_file
