"""Prediction speed: `transformers.pipeline` against `workbench predict` (PyTorch, ONNX, int8 ONNX).

    .venv/bin/python bench/predict_speed.py [--rows 100000] [--export DIR | --run RUN_DIR] [--legs ...]

The rows are Rotten Tomatoes texts (../shared/data/rotten_tomatoes/*.csv, all splits, repeated and
shuffled with a fixed seed) in a CSV of `id,text`. The model is an export with model.onnx and
model.int8.onnx: --export names one, --run exports a run (`export_run(..., int8=True)`), and with
neither a short run of the bundled backbone on Rotten Tomatoes is trained first (kept under --work).

Each leg runs in a fresh process, one after another, and times reading the CSV, predicting and
writing the labels (the model's loading is timed apart):

- `pipeline`: `pipeline("text-classification", batch_size=64)` on the whole list of texts, in fp32
  and in bf16 (the model loaded in bf16); the faster of the two is the pipeline's figure, and the
  fp32 labels are the reference every leg is compared with, row by row.
- `torch`, `torch-bf16`, `onnx`, `int8`: `predict_file` (what `workbench predict` runs) with that
  backend and precision, its own output CSV read back for the labels.

Peak resident memory (ru_maxrss) is each process's. `--rss-rows` (default 10000,100000) runs the
fastest workbench leg again on that many rows, so the peaks at 10,000 and 100,000 rows can be put
side by side. Prints a Markdown table with the CPU flags and the load average (other jobs on the
machine slow every leg alike only if they keep still), and writes it as JSON under --work.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "rotten_tomatoes"
LEGS = ("pipeline", "torch", "torch-bf16", "onnx", "int8")
BACKENDS = {"torch": ("torch", "fp32"), "torch-bf16": ("torch", "bf16"), "onnx": ("onnx", "fp32"), "int8": ("int8", "fp32")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--export", type=Path, help="an export folder with model.onnx and model.int8.onnx")
    parser.add_argument("--run", type=Path, help="a run folder to export (with --onnx --int8) and predict with")
    parser.add_argument("--work", type=Path, default=Path("/tmp/predict-speed"), help="where data, model and outputs go")
    parser.add_argument("--legs", default=",".join(LEGS), help=f"a comma-separated subset of {', '.join(LEGS)}")
    parser.add_argument("--rss-rows", default="10000,100000", help="row counts for the memory check (empty: none)")
    parser.add_argument("--train-steps", type=int, default=150)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.export, args.input, args.output)))
        return 0

    args.work.mkdir(parents=True, exist_ok=True)
    export = args.export or exported(args.run or trained(args.work, args.train_steps), args.work / "export")
    legs = [leg for leg in args.legs.split(",") if leg]
    unknown = set(legs) - set(LEGS)
    if unknown:
        parser.error(f"unknown legs: {', '.join(sorted(unknown))}")
    source = rows_csv(args.work, args.rows)
    load_before = os.getloadavg()
    results: dict[str, dict] = {}
    for leg in legs:
        precisions = ("fp32", "bf16") if leg == "pipeline" else (None,)
        for precision in precisions:
            name = f"pipeline-{precision}" if precision else leg
            print(f"{name}: {args.rows:,} rows ...", file=sys.stderr, flush=True)
            results[name] = run_child(name, export, source, args.work / f"{name}-{args.rows}.csv")
    memory = {}
    fastest = next((leg for leg in ("int8", "onnx", "torch") if leg in legs), None)
    for count in [int(n) for n in args.rss_rows.split(",") if n] if fastest else []:
        print(f"memory: {fastest} on {count:,} rows ...", file=sys.stderr, flush=True)
        got = run_child(fastest, export, rows_csv(args.work, count), args.work / f"rss-{fastest}-{count}.csv")
        memory[count] = {"leg": fastest, "peak_rss_mb": got["peak_rss_mb"], "rows_per_s": got["rows_per_s"]}
    report = summarise(results, memory, args.rows, load_before, os.getloadavg())
    (args.work / f"results-{args.rows}.json").write_text(json.dumps({"results": results, "memory": memory}, indent=1))
    print(report)
    return 0


# --- the model and the rows ----------------------------------------------------------------------

def trained(work: Path, steps: int) -> Path:
    """A short run of the bundled backbone on Rotten Tomatoes (train split; validation, test), reused."""
    from workbench.core.config import RunConfig
    from workbench.core.events import RunFinished
    from workbench.core.training.run import train

    runs = work / "runs"
    done = sorted(runs.glob("*-rt/model/config.json"))
    if done:
        return done[-1].parent.parent
    config = RunConfig()
    config.data.source = str(DATA)
    config.output.runs_root, config.output.run_name = str(runs), "rt"
    config.task.max_length = 64
    t = config.training
    t.max_steps, t.batch_size, t.learning_rate, t.eval_strategy, t.eval_steps = steps, 32, 1e-4, "steps", steps
    result = train(config)
    if not isinstance(result, RunFinished):
        raise SystemExit(f"training failed: {result}")
    return Path(result.run_dir)


def exported(run_dir: Path, dest: Path) -> Path:
    from workbench.core.export.folder import export_run

    if not (dest / "model.int8.onnx").is_file():
        report = export_run(run_dir, dest, onnx=True, int8=True, force=True)
        print(report.onnx.summary(), file=sys.stderr)
    return dest


def rows_csv(work: Path, rows: int, seed: int = 0) -> Path:
    """`rows` rows of `id,text`: every Rotten Tomatoes text, shuffled, as often as it takes."""
    path = work / f"rt-{rows}.csv"
    if path.is_file():
        return path
    texts = []
    for name in ("train", "validation", "test"):
        with open(DATA / f"{name}.csv", newline="", encoding="utf-8") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    rng = random.Random(seed)
    out = []
    while len(out) < rows:
        batch = texts[:]
        rng.shuffle(batch)
        out += batch
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows(enumerate(out[:rows]))
    return path


# --- one leg, in its own process -----------------------------------------------------------------

def run_child(leg: str, export: Path, source: Path, output: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", leg, "--export", str(export), "--input", str(source),
                           "--output", str(output)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{leg} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(leg: str, export: Path, source: Path, output: Path) -> dict:
    start = time.perf_counter()
    if leg.startswith("pipeline"):
        import pandas as pd
        import torch
        from transformers import pipeline

        bf16 = leg.endswith("bf16")
        classify = pipeline("text-classification", model=str(export), device="cpu", batch_size=64,
                            dtype=torch.bfloat16 if bf16 else torch.float32)
        classify(["warm up"] * 2)
        loaded, cpu = time.perf_counter(), time.process_time()
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
        frame["label"] = [answer["label"] for answer in classify(frame["text"].tolist())]
        frame.to_csv(output, index=False)
        precision, how = ("bf16" if bf16 else "fp32"), "transformers.pipeline, batch 64"
    else:
        from workbench.core.export.predict import Predictor
        from workbench.core.export.predict_files import predict_file

        backend, precision = BACKENDS[leg]
        predictor = Predictor.load(export, backend, precision)
        predictor.predict(["warm up"] * 2)
        loaded, cpu = time.perf_counter(), time.process_time()
        predict_file(export, source, output, predictor=predictor)
        how = predictor.how
    seconds = time.perf_counter() - loaded
    with open(output, newline="", encoding="utf-8") as handle:
        labels = [row["label"] for row in csv.DictReader(handle)]
    return {"leg": leg, "precision": precision, "how": how, "rows": len(labels), "seconds": seconds,
            "cpu_seconds": time.process_time() - cpu, "load_seconds": loaded - start, "rows_per_s": len(labels) / seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "labels": labels,
            "threads": _threads()}


def _threads() -> int:
    import torch

    return torch.get_num_threads()


# --- the report ----------------------------------------------------------------------------------

def cpu_flags() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    first = text.split("\n\n")[0]
    name = next((line.split(":", 1)[1].strip() for line in first.splitlines() if line.startswith("model name")), "?")
    flags = [flag for flag in ("avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")
             if f" {flag}" in first]
    return f"{name}, {os.cpu_count()} CPUs, flags: {' '.join(flags) or 'none of avx512/amx'}"


def summarise(results: dict, memory: dict, rows: int, load_before, load_after) -> str:
    reference = results.get("pipeline-fp32", {}).get("labels")
    pipelines = [results[name] for name in ("pipeline-fp32", "pipeline-bf16") if name in results]
    best = max(pipelines, key=lambda r: r["rows_per_s"]) if pipelines else None
    lines = [f"CPU: {cpu_flags()}; torch threads {next(iter(results.values()))['threads'] if results else '?'}; "
             f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after",
             f"Rows: {rows:,} Rotten Tomatoes texts (repeated, shuffled). Pipeline's best: "
             f"{best['leg'] if best else '-'}.", "",
             "| leg | what runs | rows/s | x pipeline (best) | x pipeline fp32 | labels as pipeline fp32 | peak RSS MB |",
             "|---|---|---:|---:|---:|---:|---:|"]
    fp32 = results.get("pipeline-fp32")
    for name, r in results.items():
        ratio = f"{r['rows_per_s'] / best['rows_per_s']:.2f}" if best else "-"
        ratio32 = f"{r['rows_per_s'] / fp32['rows_per_s']:.2f}" if fp32 else "-"
        if reference is not None:
            same = sum(a == b for a, b in zip(r["labels"], reference))
            agree = f"{same:,} of {len(reference):,} ({100 * same / len(reference):.2f}%)"
        else:
            agree = "-"
        lines.append(f"| {name} | {r['how']} | {r['rows_per_s']:.0f} | {ratio} | {ratio32} | {agree} | {r['peak_rss_mb']:.0f} |")
    if memory:
        lines += ["", "| memory check | rows | peak RSS MB | rows/s |", "|---|---:|---:|---:|"]
        lines += [f"| {m['leg']} | {count:,} | {m['peak_rss_mb']:.0f} | {m['rows_per_s']:.0f} |" for count, m in memory.items()]
        peaks = [m["peak_rss_mb"] for m in memory.values()]
        lines.append(f"\nPeak RSS spread over the memory check: {max(peaks) - min(peaks):.0f} MB.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
