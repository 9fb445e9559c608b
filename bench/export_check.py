"""Export on real data: train briefly, export with ONNX and int8, reload in plain transformers, compare.

    .venv/bin/python bench/export_check.py [--max-steps 300] [--rows 200] [--datasets rt,conll]

For Rotten Tomatoes (sentiment) and CoNLL-2003 (NER) from ../shared/data: the bundled backbone
trains --max-steps steps with the engine's defaults, `export_run(..., int8=True)` writes the
Hugging Face folder and the ONNX models (the parity check runs at export time), then a separate
Python process that never imports the workbench loads the folder with `transformers.pipeline` and
predicts --rows validation texts, compared with `Predictor` on the run's model. Prints a Markdown
table per dataset; the ONNX figures are from the export's own report (its first 512 validation rows).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
DATASETS = {"rt": ("rotten_tomatoes", "single_label"), "conll": ("conll2003", "token")}

RELOAD = """
import json, sys
from transformers import pipeline
folder, task, texts = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
if task == "token":
    rows = pipeline("token-classification", model=folder, aggregation_strategy="first", device="cpu")(texts)
    out = [[[e["entity_group"], e["start"], e["end"], float(e["score"])] for e in row] for row in rows]
else:
    rows = pipeline("text-classification", model=folder, top_k=None, device="cpu")(texts)
    out = [{d["label"]: float(d["score"]) for d in row} for row in rows]
assert not any(name.startswith("workbench") for name in sys.modules)
print(json.dumps(out))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--datasets", default="rt,conll")
    args = parser.parse_args()
    tables = [table(key, check(key, args)) for key in args.datasets.split(",")]
    print("\n\n".join(tables))
    return 0


def table(key: str, figures: dict[str, str]) -> str:
    folder, task = DATASETS[key]
    return "\n".join([f"### {folder} ({task})", "", "| figure | value |", "|---|---:|",
                      *(f"| {name} | {value} |" for name, value in figures.items())])


def check(key: str, args) -> dict[str, str]:
    from workbench.core.config import RunConfig
    from workbench.core.data import prepare
    from workbench.core.events import RunFinished
    from workbench.core.export.folder import export_run
    from workbench.core.export.predict import Predictor
    from workbench.core.training.run import train

    folder, task = DATASETS[key]
    work = Path(tempfile.mkdtemp(prefix=f"export-check-{key}-"))
    config = RunConfig()
    config.data.source, config.task.type = str(DATA / folder), task
    config.training.max_steps = args.max_steps
    config.training.eval_strategy, config.training.eval_steps = "steps", args.max_steps
    config.output.runs_root = str(work / "runs")
    result = train(config)
    if not isinstance(result, RunFinished):
        raise SystemExit(f"{key}: training failed: {result.message}")
    print(f"{key}: trained, exporting with ONNX and int8…", file=sys.stderr, flush=True)
    report = export_run(result.run_dir, work / "export", int8=True)

    validation = prepare(config.data, task).splits["validation"]
    rows = validation.select(range(min(args.rows, len(validation))))
    texts = [" ".join(row["tokens"]) if task == "token" else row["text"] for row in rows]
    ours = Predictor.load(Path(result.run_dir) / "model").predict(texts)
    reload = subprocess.run([sys.executable, "-c", RELOAD, str(report.dest), task], input=json.dumps(texts),
                            capture_output=True, text=True, check=True, cwd=work)
    theirs = json.loads(reload.stdout.strip().splitlines()[-1])
    same, diff = 0, 0.0
    for mine, other in zip(ours, theirs):
        if task == "token":
            same += [(s.type, s.start, s.end) for s in mine.spans] == [tuple(e[:3]) for e in other]
            diff = max([diff] + [abs(s.score - e[3]) for s, e in zip(mine.spans, other)])
        else:
            same += mine.label == max(other, key=other.get)
            diff = max([diff] + [abs(mine.probs[name] - score) for name, score in other.items()])
    onnx = report.onnx
    fp32, int8, delta = onnx.fp32_metrics, onnx.int8_metrics, onnx.int8_delta
    return {
        "training steps (batch 32)": str(args.max_steps),
        "validation F1 (PyTorch, whole split)": f"{result.best_metric:.4f}",
        "rows compared (plain pipeline vs Predictor)": str(len(texts)),
        "label agreement" if task != "token" else "rows with equal entity spans": f"{same}/{len(texts)}",
        "max score diff": f"{diff:.1e}",
        f"ONNX parity max abs diff ({onnx.rows_checked} rows)": f"{onnx.max_abs_diff:.1e}",
        "fp32 ONNX accuracy / F1": f"{fp32['accuracy']:.4f} / {fp32['f1']:.4f}",
        "int8 ONNX accuracy / F1": f"{int8['accuracy']:.4f} / {int8['f1']:.4f}",
        "int8 delta accuracy / F1": f"{delta['accuracy']:+.4f} / {delta['f1']:+.4f}",
        "int8 speed-up (onnxruntime, same batches)": f"{onnx.speedup:.2f}x",
    }


if __name__ == "__main__":
    sys.exit(main())
