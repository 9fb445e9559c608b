"""What each training-speed lever is worth on this machine: training samples/s of the bundled backbone.

    .venv/bin/python bench/levers.py [--data DIR_OR_CSV] [--samples 512] [--rounds 2]

Every setting trains the same first --samples training texts (Rotten Tomatoes when present, else
the demo CSV) with forward, backward and an AdamW step, as the Trainer does, and the settings take
turns round after round (the best round of each is kept), so load from elsewhere on the machine
cannot favour one of them. Settings, each adding one lever to the one before:

  plain        batch 16, random order, each batch padded to its longest row, fp32, all weights trained
  grouped      + batches of similar lengths (the Trainer's LengthGroupedSampler)
  batch 32     + batch 32 (the engine's default)
  bf16         + bf16 autocast (what the engine's precision "auto" picks only where it measures faster)
  frozen word  + the word-embedding matrix frozen (no dense gradient and AdamW update of 11.7M weights)

and two more, each changing one thing of `bf16` (the engine's defaults where bf16 pays):

  1 thread     torch.set_num_threads(1) instead of one thread per core
  compiled     torch.compile(model, dynamic=True) (inductor); timed on a second pass over the texts,
               the first pass (compiling) is reported apart

Prints a Markdown table with samples/s and the ratio to `plain`. Speed only: what a lever does to F1
comes from full runs (bench/compare.py with --set).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compare import RT, _cpu, _splits  # noqa: E402

SETTINGS = (  # name, batch size, grouped, frozen word embeddings, bf16, threads (0: all), compiled
    ("plain", 16, False, False, False, 0, False),
    ("grouped", 16, True, False, False, 0, False),
    ("batch 32", 32, True, False, False, 0, False),
    ("bf16", 32, True, False, True, 0, False),
    ("frozen word", 32, True, True, True, 0, False),
    ("1 thread", 32, True, False, True, 1, False),
    ("compiled", 32, True, False, True, 0, True),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(RT) if RT.is_dir() else None)
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.data is None:
        from workbench.demo import DEMO_CSV

        args.data = str(DEMO_CSV)

    import pandas as pd
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.trainer_pt_utils import LengthGroupedSampler
    from transformers.utils import logging

    logging.set_verbosity_error()  # the new head's "newly initialized" report, once per setting and round

    from workbench.core.backbones import resolve_backbone
    from workbench.core.config import BUNDLED_BACKBONE

    path = resolve_backbone(BUNDLED_BACKBONE)
    tokenizer = AutoTokenizer.from_pretrained(path)
    texts = pd.read_csv(_splits(args.data)["train"])["text"].astype(str).tolist()[: args.samples]
    encoded = [tokenizer(text, truncation=True, max_length=128) for text in texts]
    lengths = [len(e["input_ids"]) for e in encoded]

    def batches(size: int, grouped: bool) -> list[dict]:
        generator = torch.Generator().manual_seed(0)
        order = (list(LengthGroupedSampler(size, lengths=lengths, generator=generator)) if grouped
                 else torch.randperm(len(encoded), generator=generator).tolist())
        return [tokenizer.pad([encoded[i] for i in order[start : start + size]], return_tensors="pt")
                for start in range(0, len(order), size)]

    all_threads = torch.get_num_threads()
    first_pass: dict[str, float] = {}  # compiled: seconds of the pass that compiles

    def run(setting) -> float:
        name, size, grouped, frozen, bf16, threads, compiled = setting
        torch.manual_seed(0)
        torch.set_num_threads(threads or all_threads)
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
        model.bert.embeddings.word_embeddings.weight.requires_grad_(not frozen)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-5)
        forward = torch.compile(model, dynamic=True) if compiled else model
        data = batches(size, grouped)
        labels = [torch.zeros(len(b["input_ids"]), dtype=torch.long) for b in data]
        model.train()
        for timed in ([False] if compiled else []) + [True]:
            start = time.perf_counter()
            for batch, label in zip(data, labels):
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = forward(**batch, labels=label).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            if not timed:
                first_pass[name] = max(first_pass.get(name, 0.0), time.perf_counter() - start)  # the cold compile
        torch.set_num_threads(all_threads)
        return len(encoded) / (time.perf_counter() - start)

    best = {name: 0.0 for name, *_ in SETTINGS}
    for round_ in range(args.rounds):
        for setting in SETTINGS:
            best[setting[0]] = max(best[setting[0]], run(setting))
            print(f"round {round_ + 1}: {setting[0]} {best[setting[0]]:.1f} samples/s", file=sys.stderr, flush=True)

    print(f"data {args.data}, first {len(encoded)} training texts, {all_threads} threads, {_cpu()}\n")
    print("| setting | samples/s | vs plain |\n|---|---:|---:|")
    for name, rate in best.items():
        print(f"| {name} | {rate:.1f} | {rate / best['plain']:.2f}x |")
    for name, seconds in first_pass.items():
        print(f"\n{name}: the first pass, which compiles, took {seconds:.1f} s "
              f"({len(encoded) / seconds:.1f} samples/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
