"""Peak memory and stage times of a run on a generated 1,000,000-row CSV (text,label).

    .venv/bin/python bench/large_csv.py [--csv PATH] [--rows 1000000] [--tiny] [--steps 5]

The CSV (short review sentences, two classes named positive / negative) is written to PATH, or to a
temp folder, unless PATH already holds it. The engine (`workbench.core.training.run.train`, the bundled
backbone, or a tiny random BERT with --tiny) then trains a few steps on it in a fresh process with
an empty `datasets` cache, so loading the CSV into Arrow is measured too. A thread in that process
reads /proc/self/status every 20 ms: RssAnon is the process's own memory (what holding the table
would grow), RssFile the pages of memory-mapped Arrow files it touched (the kernel may drop them).
A second fresh process loads the CSV with pandas, for the size of the table held in RAM.
Validation is kept to about --validation-rows rows (data.validation_fraction), see the note there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD = "great wonderful touching clever funny moving brilliant charming gripping delightful".split()
BAD = "dull tedious clumsy boring predictable flat messy lifeless forgettable painful".split()
NOUNS = "plot story acting script ending cast soundtrack pacing dialogue direction film movie".split()
OPENERS = ["the", "honestly the", "overall the", "i thought the", "to be fair the", "sadly the", "in the end the"]
TAILS = ["", "", " from start to finish", " for most of the running time", " even on a second watch",
         " despite a slow first act", " and i would say so again"]
WORDS = sorted({w for part in GOOD + BAD + NOUNS + OPENERS + TAILS for w in part.split()} | {"was", "and", "but"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, help="where the CSV is (written there when missing)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tiny", action="store_true", help="a tiny random BERT instead of the bundled backbone")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--validation-rows", type=int, default=2000)
    parser.add_argument("--child", choices=("engine", "pandas"), help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "engine":
        return engine_child(args.config)
    if args.child == "pandas":
        return pandas_child(args.csv)

    work = Path(tempfile.mkdtemp(prefix="large-csv-"))
    csv_path = args.csv or work / "reviews.csv"
    started = time.perf_counter()
    if not csv_path.is_file():
        write_csv(csv_path, args.rows)
        print(f"wrote {csv_path} ({args.rows:,} rows) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    config_path = write_config(work, csv_path, args)
    env = dict(os.environ, HF_DATASETS_CACHE=str(work / "datasets-cache"), OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    engine = _child([sys.executable, __file__, "--child", "engine", "--config", str(config_path)], env)
    table = _child([sys.executable, __file__, "--child", "pandas", "--csv", str(csv_path)], env)
    print(report(csv_path, engine, table, _du(work / "datasets-cache"), args))
    return 0


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Review sentences of 6 to 25 words, about 55% positive; written in blocks, never held whole."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write("text,label\n")
        for start in range(0, rows, 100_000):
            lines = []
            for _ in range(min(100_000, rows - start)):
                positive = rng.random() < 0.55
                words, other = (GOOD, BAD) if positive else (BAD, GOOD)
                text = f"{rng.choice(OPENERS)} {rng.choice(NOUNS)} was {rng.choice(words)}{rng.choice(TAILS)}"
                if rng.random() < 0.4:
                    text += f", but the {rng.choice(NOUNS)} was {rng.choice(other)}"
                lines.append(f'"{text}",{"positive" if positive else "negative"}\n')
            out.writelines(lines)


def write_config(work: Path, csv_path: Path, args) -> Path:
    from workbench.core.config import RunConfig

    config = RunConfig()  # the defaults, as a user gets them, but for the few steps and a bounded validation
    config.data.source = str(csv_path)
    # A carved validation split is data.validation_fraction of the rows (10% by default: 100,000 rows
    # here, minutes of evaluation on a CPU). The fraction is the only bound there is.
    config.data.validation_fraction = min(args.validation_rows / args.rows, 0.5)
    config.training.max_steps = args.steps
    config.training.eval_strategy, config.training.eval_steps = "steps", args.steps
    config.training.logging_steps = 1
    config.training.precision = "fp32"  # no bf16 timing round: this bench is about memory
    config.output.runs_root = str(work / "runs")
    if args.tiny:
        sys.path.insert(0, str(ROOT))
        from tests.tiny_models import build_tiny_backbone

        config.backbone.name = str(build_tiny_backbone(work / "tiny-bert", words=WORDS))
    config.save(work / "run.json")
    return work / "run.json"


def _child(command: list[str], env: dict) -> dict:
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


class MemorySampler(threading.Thread):
    """Peak RssAnon and RssFile (MB) of this process since the last `mark`, sampled every 20 ms."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peaks = {"anon": 0.0, "file": 0.0}
        self.lock = threading.Lock()

    def run(self) -> None:
        while True:
            now = _rss()
            with self.lock:
                for key, value in now.items():
                    self.peaks[key] = max(self.peaks[key], value)
            time.sleep(0.02)

    def mark(self) -> dict[str, float]:
        now = _rss()
        with self.lock:
            peaks = {key: max(value, now[key]) for key, value in self.peaks.items()}
            self.peaks = now
        return peaks


def _rss() -> dict[str, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {"anon": int(fields["RssAnon"].split()[0]) / 1024, "file": int(fields["RssFile"].split()[0]) / 1024}


def engine_child(config_path: str) -> int:
    """Runs the engine; each stage ends at the event that follows it and gets its time and peak memory."""
    from workbench.core.config import load_config
    from workbench.core.events import MessageLogged, RunFailed, RunFinished, RunStarted
    from workbench.core.libraries import load_engine_libraries
    from workbench.core.training.run import train

    started = time.perf_counter()
    load_engine_libraries()
    sampler = MemorySampler()
    sampler.start()
    last = [time.perf_counter()]
    stages = [{"stage": "import torch, transformers, datasets", "seconds": last[0] - started, **sampler.mark()}]

    def end_stage(name: str) -> None:
        now = time.perf_counter()
        stages.append({"stage": name, "seconds": now - last[0], **sampler.mark()})
        last[0] = now

    names = (("Loaded ", "load CSV to Arrow, labels, carve, convert"), ("max_length ", "token length stats (20k rows)"),
             ("Training ", "load model, freeze"))
    result = {}

    def sink(event) -> None:
        if isinstance(event, MessageLogged):
            for prefix, name in names:
                if event.text.startswith(prefix):
                    end_stage(name)
        elif isinstance(event, RunStarted):
            end_stage("tokenize all splits, build Trainer")
            result["started"] = {"train_rows": event.train_rows, "max_length": event.max_length, "device": event.device}
        elif isinstance(event, (RunFinished, RunFailed)):
            end_stage("train steps, evaluate, save")
            result["outcome"] = getattr(event, "message", None) or f"finished, {event.metric_name} {event.best_metric}"

    train(load_config(config_path), sink)
    result["stages"] = stages
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
    return 0


def pandas_child(csv_path: Path) -> int:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(csv_path)
    print(json.dumps({"bytes": int(frame.memory_usage(deep=True).sum()), "seconds": time.perf_counter() - started,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    return 0


def report(csv_path: Path, engine: dict, table: dict, cache_bytes: int, args) -> str:
    mb = 1024 * 1024
    lines = [
        f"CSV {csv_path}: {csv_path.stat().st_size / mb:.0f} MB on disk; as a pandas DataFrame "
        f"{table['bytes'] / mb:.0f} MB in RAM (read in {table['seconds']:.1f} s, that process peaked at "
        f"{table['peak_rss_mb']:.0f} MB RSS); datasets cache after the run {cache_bytes / mb:.0f} MB",
        f"engine ({'tiny random BERT' if args.tiny else 'bundled backbone'}, {args.steps} steps, "
        f"{os.cpu_count()} CPU cores): {engine.get('outcome')}; {engine.get('started')}",
        "", "| stage | seconds | peak RssAnon MB | peak RssFile MB |", "|---|---:|---:|---:|",
    ]
    lines += [f"| {s['stage']} | {s['seconds']:.1f} | {s['anon']:.0f} | {s['file']:.0f} |" for s in engine["stages"]]
    lines.append(f"\npeak RSS of the engine process (ru_maxrss, anon + file): {engine['peak_rss_mb']:.0f} MB")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
