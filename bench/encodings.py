"""What reading a data file's encoding costs on a generated 1,000,000-row CSV, per encoding.

    .venv/bin/python bench/encodings.py [--rows 1000000] [--folder DIR]

The same rows (short French and German reviews, so every line has accented letters) are written as
UTF-8, Windows-1252 and UTF-16 (with a byte-order mark). For each, `as_utf8` is timed twice: cold
(detection, plus the UTF-8 copy for the two that need one) and warm (the copy is found in the cache),
then `load_raw` (the CSV builder into Arrow) in a fresh `datasets` cache. The input bytes read by
detection alone are counted from /proc/self/io.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("très bon café", "déçu", "à éviter", "génial", "pünktlich", "Größe passt", "überteuert", "schön",
         "l'équipe – merci", "naïve", "coûte 5 €", "Ärger")


def read_bytes() -> int:
    with open("/proc/self/io") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("rchar"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-encodings-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["HF_DATASETS_CACHE"] = str(folder / "cache")  # before datasets is imported
    sys.path.insert(0, str(ROOT))
    from workbench.core.data import load_raw
    from workbench.core.data.charsets import _first_non_utf8, as_utf8

    rng = random.Random(0)
    lines = ["text,label"] + [f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i},{i % 2}" for i in range(args.rows)]
    text = "\r\n".join(lines) + "\r\n"
    print(f"{args.rows:,} rows; cache {folder / 'cache'}")
    print("| encoding | MB | detect + copy, cold s | warm s | bytes read to detect | load_raw s |")
    print("|---|---:|---:|---:|---:|---:|")
    for codec in ("utf-8", "cp1252", "utf-16"):
        path = folder / f"reviews-{codec}.csv"
        path.write_bytes(text.encode(codec))
        before = read_bytes()
        bad = _first_non_utf8(path) if codec != "utf-16" else None  # what detection streams (UTF-16: the BOM only)
        detect_read = read_bytes() - before if codec != "utf-16" else 64 * 1024  # the head, for its BOM
        start = time.perf_counter()
        found = as_utf8(path)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        as_utf8(path)
        warm = time.perf_counter() - start
        start = time.perf_counter()
        rows = len(load_raw(str(path))["train"])
        loaded = time.perf_counter() - start
        assert rows == args.rows and (bad is None) == (codec == "utf-8" or codec == "utf-16")
        print(f"| {found.encoding} | {path.stat().st_size / 1e6:.0f} | {cold:.2f} | {warm:.3f} | "
              f"{detect_read / 1e6:.2f} MB | {loaded:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
