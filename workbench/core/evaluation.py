"""Per-row predictions of the trained model on a split, written for the results page (see `results`).

Token rows are word level: each word is predicted from its first sub-token, the positions the
encoded `labels` mark. A word without a sub-token (cut off by truncation, or one the tokenizer
drops, such as a lone zero-width space) has no prediction: pred -1, confidence 0.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from workbench.core.results import rows_path, summary_path
from workbench.core.runs import write_json_atomic

DECIMALS = 6


def write_results(run_dir: Path, task: str, label_names: list[str], split: str, raw, encoded, model, tokenizer) -> Path:
    """Write `results/<split>.jsonl` and `results/<split>.json` (metrics as the Trainer computes them);
    `raw` is the prepared split and `encoded` its tokenised form. Returns the summary's path."""
    from transformers.trainer_utils import EvalPrediction

    from workbench.core.encoding import PaddingCollator
    from workbench.core.inference import probabilities, row_logits
    from workbench.core.metrics import build_compute_metrics

    rows, records = encoded.to_list(), raw.to_list()
    logits = row_logits(model, rows, PaddingCollator(tokenizer, task))
    if task == "token":
        lines = _token_lines(records, rows, logits, tokenizer)
        preds, gold = [row.argmax(axis=-1) for row in logits], [np.asarray(row["labels"]) for row in rows]
    else:
        stacked = np.stack(logits).reshape(len(rows), len(label_names))
        lines = _text_lines(records, probabilities(stacked, task), task)
        preds = stacked if task == "multi_label" else stacked.argmax(axis=-1)
        gold = np.array([record["labels"] for record in records])
    metrics = build_compute_metrics(task, label_names)(EvalPrediction(predictions=preds, label_ids=gold))

    rows_file, summary_file = rows_path(run_dir, split), summary_path(run_dir, split)
    rows_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = rows_file.with_name(f".{rows_file.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    os.replace(tmp, rows_file)
    write_json_atomic(summary_file, {"task": task, "label_names": label_names, "split": split, "rows": len(lines),
                                     "metrics": {name: float(value) for name, value in metrics.items()}})
    return summary_file


def _text_lines(records: list[dict], probs: np.ndarray, task: str) -> list[dict]:
    lines = []
    for record, row_probs in zip(records, np.round(probs, DECIMALS).tolist()):
        line = {"text": record["text"]}
        if task == "pair":
            line["text_pair"] = record["text_pair"]
        if task == "multi_label":
            line["labels"] = [i for i, on in enumerate(record["labels"]) if on >= 0.5]
        else:
            line["label"] = record["labels"]
        line["probs"] = row_probs
        lines.append(line)
    return lines


def _token_lines(records: list[dict], rows: list[dict], logits: list[np.ndarray], tokenizer) -> list[dict]:
    """Word-level gold tags, predicted tags and confidences. The words are tokenised again, truncated
    at the longest encoded row, which gives every row's encoding back with its word ids."""
    from workbench.core.inference import softmax

    words = [record["tokens"] for record in records]
    longest = max((len(row["input_ids"]) for row in rows), default=0)
    encoding = tokenizer(words, is_split_into_words=True, truncation=True, max_length=longest) if words else None
    lines = []
    for i, (record, row, row_logits) in enumerate(zip(records, rows, logits)):
        positions = np.flatnonzero(np.asarray(row["labels"]) != -100)
        word_ids = [encoding.word_ids(i)[p] for p in positions]
        probs = softmax(row_logits[positions])
        pred, confidence = np.full(len(words[i]), -1), np.zeros(len(words[i]))
        pred[word_ids], confidence[word_ids] = probs.argmax(axis=-1), probs.max(axis=-1)
        lines.append({"tokens": words[i], "gold": record["labels"], "pred": pred.tolist(),
                      "confidence": np.round(confidence, DECIMALS).tolist()})
    return lines
