"""Today's fixed defaults against the defaults sized to the data, on data sets of different sizes.

    .venv/bin/python bench/defaults.py [--sets rt1000,conll6,demo,rt] [--legs fixed,sized]
    .venv/bin/python bench/defaults.py --sets rt1000 --sweep-lr 5e-5,1e-4,2e-4 --epochs 10
    .venv/bin/python bench/defaults.py --sets rt2000 --sweep-lr 1e-4,3e-4,1e-3,3e-3 --epochs 1 --freeze head_only,lower_half

Sets (built into a temporary folder from ../shared/data; the inputs are only read):
  rt1000  Rotten Tomatoes, 1,000 training rows drawn at random, the full validation and test splits;
  rt2000  the same with 2,000 training rows;
  conll6  6 classes of CoNLL-2003 sentences (scores: 30% of the tokens hold digits; else the type
          of the first entity: person, organisation, location, misc; else other), 1,000 training rows, written as
          `;`-separated files with string labels beside a validation and a test file;
  demo    the bundled support tickets (400 rows, 4 queues);
  rt      the full Rotten Tomatoes (8,530 training rows).
Legs:
  fixed   what every run got before: 1 epoch at learning rate 5e-5;
  sized   the RunConfig defaults: epochs and learning rate left empty, so the engine sizes them.
`--freeze` runs every leg (or every rate of a sweep) once per freeze preset (`freeze.preset`).
Prints a Markdown table: rows, classes, leg, freeze preset, epochs, optimizer steps, wall time, test
accuracy and macro-F1, and the macro-F1 of always answering the majority class.
"""

from __future__ import annotations

import argparse
import csv
import platform
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from workbench.core.config import RunConfig  # noqa: E402
from workbench.demo import DEMO_CSV  # noqa: E402


def conll_sentences(path: Path) -> list[tuple[list[str], list[str]]]:
    sentences, tokens, tags = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        parts = line.split()
        if not parts or parts[0] == "-DOCSTART-":
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
        else:
            tokens.append(parts[0])
            tags.append(parts[-1])
    return sentences


def sentence_class(tokens: list[str], tags: list[str]) -> str:
    names = {"PER": "person", "ORG": "organisation", "LOC": "location", "MISC": "misc"}
    if sum(bool(re.search(r"\d", token)) for token in tokens) >= 0.3 * len(tokens):
        return "scores"
    first = next((tag[2:] for tag in tags if tag.startswith("B-")), None)
    return names[first] if first else "other"


def write_conll6(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    train = [s for s in conll_sentences(SHARED / "conll2003" / "train.conll") if len(s[0]) >= 4]
    held = [s for s in conll_sentences(SHARED / "conll2003" / "validation.conll") if len(s[0]) >= 4]
    rng.shuffle(train)
    rng.shuffle(held)
    for name, rows in (("train", train[:1000]), ("validation", held[:600]), ("test", held[600:1200])):
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(["text", "label"])
            writer.writerows((" ".join(tokens), sentence_class(tokens, tags)) for tokens, tags in rows)
    return folder


def data_sets(folder: Path) -> dict[str, tuple[str, int | None]]:
    """name -> (source, max_train_rows)"""
    rt = str(SHARED / "rotten_tomatoes")
    return {"rt1000": (rt, 1000), "rt2000": (rt, 2000), "conll6": (str(write_conll6(folder / "conll6")), None),
            "demo": (str(DEMO_CSV), None), "rt": (rt, None)}


def leg_config(source: str, max_rows: int | None, leg: str, runs_root: str, lr: float | None,
               epochs: float | None, freeze: str = "full") -> RunConfig:
    config = RunConfig()
    config.data.source, config.data.max_train_rows = source, max_rows
    config.freeze.preset = freeze
    config.output.runs_root = runs_root
    if leg == "fixed":
        config.training.epochs, config.training.learning_rate = 1.0, 5e-5
    if lr is not None:
        config.training.learning_rate = lr
    if epochs is not None:
        config.training.epochs = epochs
    return config.checked()


class Recorder:
    """Keeps the run's RunStarted (what it trained with) and prints its messages."""

    def __init__(self):
        self.started = None

    def __call__(self, event) -> None:
        from workbench.core.events import MessageLogged, RunStarted

        if isinstance(event, RunStarted):
            self.started = event
        elif isinstance(event, MessageLogged):
            print(f"  {event.text}", file=sys.stderr, flush=True)


def majority_baseline(source: str) -> tuple[int, float]:
    """The number of classes, and the macro-F1 of always answering the most common training label
    on the test (else validation, else training) split."""
    from workbench.core.data.formats import load_raw

    raw = load_raw(source)
    split = next(name for name in ("test", "validation", "train") if name in raw)
    train, held = Counter(raw["train"]["label"]), list(raw[split]["label"])
    share = held.count(train.most_common(1)[0][0]) / len(held)
    return len(train), 2 * share / (1 + share) / len(train)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="rt1000,conll6,demo,rt")
    parser.add_argument("--legs", default="fixed,sized")
    parser.add_argument("--sweep-lr", help="comma-separated learning rates, run on the `sized` leg")
    parser.add_argument("--epochs", type=float, help="fix the epochs of every leg (for a learning-rate sweep)")
    parser.add_argument("--freeze", default="full", help="comma-separated freeze presets, each run in turn")
    args = parser.parse_args()

    from workbench.core.training.run import train

    folder = Path(tempfile.mkdtemp(prefix="bench-defaults-"))
    sets = data_sets(folder)
    presets = args.freeze.split(",")
    runs = [(name, leg, None, preset) for name in args.sets.split(",") for preset in presets
            for leg in args.legs.split(",")]
    if args.sweep_lr:
        runs = [(name, "sized", float(lr), preset) for name in args.sets.split(",") for preset in presets
                for lr in args.sweep_lr.split(",")]
    cpu = " ".join(sorted(set(re.findall(r"\b(amx\w*|avx512_bf16|avx512f)\b", Path("/proc/cpuinfo").read_text()))))
    print(f"# bench/defaults.py on {platform.processor() or platform.machine()} ({cpu or 'no avx512'}), "
          f"{time.strftime('%Y-%m-%d')}: {' '.join(sys.argv[1:])}", flush=True)
    print("| set | train rows | classes | leg | freeze | lr | epochs | steps | wall s | test acc | test macro-F1 | majority macro-F1 |")
    print("|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    for name, leg, lr, preset in runs:
        source, max_rows = sets[name]
        config = leg_config(source, max_rows, leg, str(folder / "runs"), lr, args.epochs, preset)
        recorder = Recorder()
        started = time.perf_counter()
        result = train(config, recorder)
        wall = time.perf_counter() - started
        if recorder.started is None or not hasattr(result, "final_metrics"):
            print(f"| {name} | | | {leg} | {preset} | failed: {getattr(result, 'message', result)} |", flush=True)
            continue
        m = result.final_metrics
        split = "test" if "test_accuracy" in m else "validation"
        classes, baseline = majority_baseline(source)
        print(f"| {name} | {recorder.started.train_rows} | {classes} | {leg} | {preset} | {recorder.started.learning_rate:g} "
              f"| {recorder.started.epochs:g} | {recorder.started.total_steps} | {wall:.0f} | {m[f'{split}_accuracy']:.4f} "
              f"| {m[f'{split}_f1_macro']:.4f} | {baseline:.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
