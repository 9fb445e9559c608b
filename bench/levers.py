"""What each training-speed lever is worth on this machine: training samples/s of the bundled backbone.

    .venv/bin/python bench/levers.py [--data DIR_OR_CSV] [--samples 512] [--rounds 2] [--eval-rows 1024] [--skip compiled]

Every setting trains the same first --samples training texts (Rotten Tomatoes when present, else
the demo CSV) with forward, backward, gradient clipping and a fused AdamW step, as the Trainer
does, and the settings take turns round after round (the best round of each is kept), so load from
elsewhere on the machine cannot favour one of them. The first settings each add one lever to the
one before:

  plain        batch 16, random order, each batch padded to its longest row, fp32, all weights trained
  grouped      + batches of similar lengths (the Trainer's LengthGroupedSampler)
  batch 32     + batch 32 (the engine's default)
  bf16         + bf16 autocast

and the others each change one thing of `engine`, the engine's defaults before sparse embeddings
(batch 32, grouped, the precision `auto` picks on this machine: bf16 where it measures faster):

  engine         all weights trained, the word embedding with a dense gradient and AdamW update
  sparse word    the word embedding's gradient sparse, LazyAdamW updating only the rows in the batch
  trimmed vocab  + the embedding cut to the tokens that occur in the training split (ids remapped)
  frozen word    the word-embedding matrix frozen (no gradient and no update of its 11.7M weights)
  fast dropout   sparse word + dropout masks drawn four to a random number (workbench/core/cpu_dropout.py;
                 what `auto` picks where torch draws its masks slowly)
  first token    fast dropout + the last layer computed for the first token only, the one the head
                 reads (workbench/core/first_token.py): the engine's defaults now
  1 thread       torch.set_num_threads(1) instead of one thread per core
  compiled       torch.compile(model, dynamic=True) (inductor); timed on a second pass over the texts,
                 the first pass (compiling) is reported apart

Then evaluation: validation rows/s of a forward pass, length-grouped, by eval batch size (2x, 4x and
8x the training batch) under torch.no_grad (what Trainer's loop uses) and torch.inference_mode.

Prints Markdown tables with samples/s and the ratio to `plain` (and `engine`). Speed only: what a
lever does to F1 comes from full runs (bench/compare.py with --set).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compare import RT, _cpu, _splits  # noqa: E402

ENGINE = "engine precision"  # the bf16 of a setting that takes what `auto` picks


@dataclass(frozen=True)
class Setting:
    name: str
    batch_size: int = 16
    grouped: bool = False
    word: str = "dense"  # the word embedding: dense, sparse, trimmed or frozen
    bf16: bool | str = False  # or ENGINE
    threads: int = 0  # 0: all
    compiled: bool = False
    fast_dropout: bool = False  # dropout masks drawn four to a random number
    first_token: bool = False  # the last layer for the first token only

    def then(self, name: str, **changes: object) -> Setting:
        """This setting with `changes`, named `name`."""
        return replace(self, name=name, **changes)


PLAIN = Setting("plain")
GROUPED = PLAIN.then("grouped", grouped=True)
BATCH_32 = GROUPED.then("batch 32", batch_size=32)
ENGINE_DEFAULTS = BATCH_32.then("engine", bf16=ENGINE)  # before sparse embeddings
SPARSE_WORD = ENGINE_DEFAULTS.then("sparse word", word="sparse")
FAST_DROPOUT = SPARSE_WORD.then("fast dropout", fast_dropout=True)
SETTINGS = (
    PLAIN,
    GROUPED,
    BATCH_32,
    BATCH_32.then("bf16", bf16=True),
    ENGINE_DEFAULTS,
    SPARSE_WORD,
    ENGINE_DEFAULTS.then("trimmed vocab", word="trimmed"),
    ENGINE_DEFAULTS.then("frozen word", word="frozen"),
    FAST_DROPOUT,
    FAST_DROPOUT.then("first token", first_token=True),
    ENGINE_DEFAULTS.then("1 thread", threads=1),
    ENGINE_DEFAULTS.then("compiled", compiled=True),
)
EVAL_BATCHES = (64, 128, 256)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(RT) if RT.is_dir() else None)
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--eval-rows", type=int, default=1024)
    parser.add_argument("--skip", default="", help="settings to leave out, comma-separated (e.g. compiled)")
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

    from workbench.core.config import BUNDLED_BACKBONE
    from workbench.core.model.backbones import resolve_backbone
    from workbench.core.model.device import choose_precision
    from workbench.core.training.speed.cpu_dropout import use_fast_dropout
    from workbench.core.training.speed.first_token import use_first_token_layer
    from workbench.core.training.speed.sparse_embeddings import LazyAdamW, clip_grad_norm_

    path = resolve_backbone(BUNDLED_BACKBONE)
    tokenizer = AutoTokenizer.from_pretrained(path)
    splits = _splits(args.data)
    train_texts = pd.read_csv(splits["train"])["text"].astype(str).tolist()
    encoded = [tokenizer(text, truncation=True, max_length=128) for text in train_texts[: args.samples]]
    lengths = [len(e["input_ids"]) for e in encoded]
    in_train = sorted({i for ids in tokenizer(train_texts, truncation=True, max_length=128)["input_ids"] for i in ids})
    engine_bf16 = choose_precision("auto", AutoModelForSequenceClassification.from_pretrained(path, num_labels=2),
                                   32, 128)[0] == "bf16"
    settings = [s for s in SETTINGS if s.name not in args.skip.split(",")]

    def batches(size: int, grouped: bool) -> list[dict]:
        generator = torch.Generator().manual_seed(0)
        order = (list(LengthGroupedSampler(size, lengths=lengths, generator=generator)) if grouped
                 else torch.randperm(len(encoded), generator=generator).tolist())
        return [tokenizer.pad([encoded[i] for i in order[start : start + size]], return_tensors="pt")
                for start in range(0, len(order), size)]

    def trim(model, data: list[dict]) -> None:
        """Cut the word embedding to the training split's tokens and renumber the batches' ids."""
        keep = torch.tensor(in_train)
        word = model.get_input_embeddings()
        compact = torch.nn.Embedding(len(keep), word.embedding_dim, sparse=True)
        compact.weight.data.copy_(word.weight.data[keep])
        model.set_input_embeddings(compact)
        renumber = torch.zeros(word.num_embeddings, dtype=torch.long)
        renumber[keep] = torch.arange(len(keep))
        for batch in data:
            batch["input_ids"] = renumber[batch["input_ids"]]

    all_threads = torch.get_num_threads()
    first_pass: dict[str, float] = {}  # compiled: seconds of the pass that compiles

    def run(setting: Setting) -> float:
        name, word, compiled = setting.name, setting.word, setting.compiled
        bf16 = engine_bf16 if setting.bf16 == ENGINE else setting.bf16
        torch.manual_seed(0)
        torch.set_num_threads(setting.threads or all_threads)
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
        data = batches(setting.batch_size, setting.grouped)
        model.get_input_embeddings().weight.requires_grad_(word != "frozen")
        model.get_input_embeddings().sparse = word == "sparse"
        if word == "trimmed":
            trim(model, data)
        use_fast_dropout(model, setting.fast_dropout)
        use_first_token_layer(model, setting.first_token)
        sparse = word in ("sparse", "trimmed")
        optimizer = (LazyAdamW if sparse else torch.optim.AdamW)(
            [p for p in model.parameters() if p.requires_grad], lr=2e-5, weight_decay=0.01, fused=True)
        clip = clip_grad_norm_ if sparse else torch.nn.utils.clip_grad_norm_
        forward = torch.compile(model, dynamic=True) if compiled else model
        labels = [torch.zeros(len(b["input_ids"]), dtype=torch.long) for b in data]
        model.train()
        for timed in ([False] if compiled else []) + [True]:
            start = time.perf_counter()
            for batch, label in zip(data, labels):
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = forward(**batch, labels=label).loss
                loss.backward()
                clip(model.parameters(), 1.0)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            if not timed:
                first_pass[name] = max(first_pass.get(name, 0.0), time.perf_counter() - start)  # the cold compile
        torch.set_num_threads(all_threads)
        return len(encoded) / (time.perf_counter() - start)

    def evaluate(size: int, inference: bool, model, texts: list[str]) -> float:
        rows = [tokenizer(text, truncation=True, max_length=128) for text in texts]
        order = list(LengthGroupedSampler(size, lengths=[len(r["input_ids"]) for r in rows],
                                          generator=torch.Generator().manual_seed(0)))
        data = [tokenizer.pad([rows[i] for i in order[start : start + size]], return_tensors="pt")
                for start in range(0, len(order), size)]
        model.eval()
        start = time.perf_counter()
        with torch.inference_mode() if inference else torch.no_grad():
            for batch in data:
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=engine_bf16):
                    model(**batch)
        return len(rows) / (time.perf_counter() - start)

    best = {setting.name: 0.0 for setting in settings}
    eval_model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
    eval_texts = pd.read_csv(splits.get("validation", splits["train"]))["text"].astype(str).tolist()[: args.eval_rows]
    eval_best = {(size, inference): 0.0 for size in EVAL_BATCHES for inference in (False, True)}
    for round_ in range(args.rounds):
        for setting in settings:
            best[setting.name] = max(best[setting.name], run(setting))
            print(f"round {round_ + 1}: {setting.name} {best[setting.name]:.1f} samples/s", file=sys.stderr, flush=True)
        for key in eval_best:
            eval_best[key] = max(eval_best[key], evaluate(*key, eval_model, eval_texts))

    print(f"data {args.data}, first {len(encoded)} training texts, {all_threads} threads, {_cpu()}; "
          f"the engine's precision here: {'bf16' if engine_bf16 else 'fp32'}\n")
    bases = [base for base in ("plain", "engine") if base in best]
    print(f"| setting | samples/s | {' | '.join(f'vs {base}' for base in bases)} |\n|---|---:|{'---:|' * len(bases)}")
    for name, rate in best.items():
        print(f"| {name} | {rate:.1f} | " + " | ".join(f"{rate / best[base]:.2f}x" for base in bases) + " |")
    for name, seconds in first_pass.items():
        print(f"\n{name}: the first pass, which compiles, took {seconds:.1f} s "
              f"({len(encoded) / seconds:.1f} samples/s)")
    print(f"\ntrimmed vocab: {len(in_train)} of {tokenizer.vocab_size} tokens occur in the training split\n")
    print(f"evaluation, first {len(eval_texts)} validation texts, length-grouped\n")
    print("| eval batch | no_grad rows/s | inference_mode rows/s |\n|---:|---:|---:|")
    for size in EVAL_BATCHES:
        print(f"| {size} | {eval_best[size, False]:.1f} | {eval_best[size, True]:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
