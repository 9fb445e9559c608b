"""Windows against truncation on long texts whose label sits at their end.

Each text is a Rotten Tomatoes review placed after a neutral preamble of about `--preamble` tokens
(the same boilerplate for both classes, as a site's header or a ticket's quoted history would be).
Cut at max_length, the review is gone; read in windows (task.windows), it is in the last one.
Trains the bundled MiniLM both ways on the same rows and prints validation and test macro-F1.

    .venv/bin/python bench/long_documents.py ../shared/data/rotten_tomatoes --rows 1000 --max-length 64 --epochs 3
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from pathlib import Path

from workbench.core.training.run import train
from workbench.demo import demo_config

PREAMBLE = ("This page collects what critics wrote about the film , in the order the reviews came in . "
            "Each entry gives the critic 's words as they were printed , with the outlet that ran them . ")


def write_split(source: Path, dest: Path, rows: int, preamble: str) -> None:
    with open(source, newline="", encoding="utf-8") as handle:
        every = list(csv.DictReader(handle))
    taken = random.Random(0).sample(every, min(rows, len(every)))  # the files are sorted by label
    with open(dest, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows([f"{preamble}{row['text']}", row["label"]] for row in taken)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a folder with train.csv, validation.csv and test.csv (text, label)")
    parser.add_argument("--rows", type=int, default=1000, help="training rows (validation and test: a third each)")
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--preamble", type=int, default=2, help="copies of the neutral preamble (about 40 tokens each)")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="long-documents-"))
    data = work / "data"
    data.mkdir()
    preamble = PREAMBLE * args.preamble
    for split, rows in (("train", args.rows), ("validation", args.rows // 3), ("test", args.rows // 3)):
        write_split(args.data / f"{split}.csv", data / f"{split}.csv", rows, preamble)
    out = {}
    for windows in (False, True):
        config = demo_config(runs_root=str(work / "runs"))
        config.data.source = str(data)
        config.task.max_length, config.task.windows = args.max_length, windows
        config.training.epochs, config.training.learning_rate = args.epochs, 1e-4
        config.output.run_name = "windows" if windows else "truncation"
        started = time.perf_counter()
        result = train(config)
        metrics = result.final_metrics
        out[config.output.run_name] = {
            "validation_f1_macro": round(metrics["validation_f1_macro"], 4),
            "test_f1_macro": round(metrics.get("test_f1_macro", float("nan")), 4),
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(config.output.run_name, out[config.output.run_name], flush=True)
    print(json.dumps({"rows": args.rows, "max_length": args.max_length, "preamble_copies": args.preamble,
                      "epochs": args.epochs, **out}))


if __name__ == "__main__":
    main()
