"""Tokenisation for each task and the collators that pad each batch to its own longest row.

Encoded splits hold exactly the model's inputs plus `labels` and a `length` column that the
length-grouped sampler reads; `PaddingCollator` drops `length` before the batch reaches the model.
`Dataset.map` caches the result by fingerprint, so a second run on the same data skips tokenising.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import datasets


def encode_splits(splits: datasets.DatasetDict, task: str, tokenizer, max_length: int) -> datasets.DatasetDict:
    encode = _encode_tokens if task == "token" else _encode_texts
    return datasets.DatasetDict({
        name: split.map(
            encode,
            batched=True,
            batch_size=2000,
            fn_kwargs={"tokenizer": tokenizer, "max_length": max_length},
            remove_columns=split.column_names,
            desc=f"Tokenizing {name}",
        )
        for name, split in splits.items()
    })


def _encode_texts(batch: dict[str, list], tokenizer, max_length: int) -> dict[str, list]:
    enc = tokenizer(batch["text"], batch.get("text_pair"), truncation=True, max_length=max_length)
    enc["labels"] = batch["labels"]
    enc["length"] = [len(ids) for ids in enc["input_ids"]]
    return dict(enc)


def _encode_tokens(batch: dict[str, list], tokenizer, max_length: int) -> dict[str, list]:
    """Label the first sub-token of each word; other sub-tokens and special tokens get -100."""
    enc = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=max_length)
    aligned = []
    for i, tags in enumerate(batch["labels"]):
        previous = None
        row = []
        for word in enc.word_ids(i):
            row.append(-100 if word is None or word == previous else tags[word])
            previous = word
        aligned.append(row)
    enc["labels"] = aligned
    enc["length"] = [len(ids) for ids in enc["input_ids"]]
    return dict(enc)


@dataclass
class PaddingCollator:
    """Pads a batch to its longest row (labels too, with -100, for token tasks)."""

    tokenizer: Any
    task: str

    def __post_init__(self):
        from transformers import DataCollatorForTokenClassification, DataCollatorWithPadding

        if self.task == "token":
            self._inner = DataCollatorForTokenClassification(self.tokenizer, pad_to_multiple_of=8)
        else:
            self._inner = DataCollatorWithPadding(self.tokenizer, pad_to_multiple_of=8)

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self._inner([{k: v for k, v in f.items() if k != "length"} for f in features])
        if self.task == "multi_label" and "labels" in batch:  # inference batches have no labels
            batch["labels"] = batch["labels"].float()
        return batch
