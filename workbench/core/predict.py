"""A trained model on new text: the Try it page, `workbench predict` and the export parity tests.

`Predictor` reads any folder `save_pretrained` wrote (a run's `model/` or an export). Its answers
are the ones `transformers.pipeline` gives for the same folder: text-classification scores (softmax,
or sigmoid for multi-label), and for token classification the entity groups of
`aggregation_strategy="first"` (a word takes its first sub-token's tag; an entity is a run of words
of one type that a B- tag or another type ends, as `spans.tag_spans` reads IOB2 tags).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.runs import CONFIG_FILE

THRESHOLD = 0.5  # multi-label: a label is predicted at this probability or above


@dataclass
class EntitySpan:
    type: str
    text: str
    start: int  # character offsets in the input text, end exclusive
    end: int
    score: float


@dataclass
class Prediction:
    label: str  # multi-label: the predicted labels joined by ";" ("" when none)
    confidence: float
    probs: dict[str, float]
    spans: list[EntitySpan] | None = None  # token tasks


def model_task(model_dir: Path) -> str:
    """single_label, pair, multi_label or token, from the model's config (and its run's config, for pairs)."""
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise WorkbenchError(f"{model_dir} holds no model (its config.json is missing or unreadable).") from None
    if any(name.endswith("ForTokenClassification") for name in config.get("architectures") or []):
        return "token"
    if config.get("problem_type") == "multi_label_classification":
        return "multi_label"
    run_config = model_dir.parent / CONFIG_FILE
    if run_config.is_file() and json.loads(run_config.read_text(encoding="utf-8")).get("task", {}).get("type") == "pair":
        return "pair"
    return "single_label"


class Predictor:
    def __init__(self, model, tokenizer, task: str):
        self.model, self.tokenizer, self.task = model, tokenizer, task
        self.label_names = [model.config.id2label[i] for i in range(model.config.num_labels)]
        positions = getattr(model.config, "max_position_embeddings", None) or tokenizer.model_max_length
        self.max_length = min(tokenizer.model_max_length, positions)

    @classmethod
    def load(cls, model_dir: str | Path) -> Predictor:
        from transformers import AutoTokenizer

        from workbench.core.device import pick_device
        from workbench.core.heads import auto_class

        model_dir = Path(model_dir)
        task = model_task(model_dir)
        model = auto_class(task).from_pretrained(model_dir, dtype="float32").to(pick_device()).eval()
        return cls(model, AutoTokenizer.from_pretrained(model_dir), task)

    def predict(self, texts: list[str], pairs: list[str] | None = None) -> list[Prediction]:
        if self.task == "token":
            return self._tag(texts)
        from workbench.core.encoding import PaddingCollator
        from workbench.core.inference import probabilities, row_logits

        encoded = self.tokenizer(texts, pairs, truncation=True, max_length=self.max_length)
        rows = [{name: values[i] for name, values in encoded.items()} for i in range(len(texts))]
        logits = row_logits(self.model, rows, PaddingCollator(self.tokenizer, self.task))
        return [self._label(probabilities(row, self.task)) for row in logits]

    def _label(self, probs: np.ndarray) -> Prediction:
        named = {name: float(p) for name, p in zip(self.label_names, probs)}
        if self.task != "multi_label":
            best = int(probs.argmax())
            return Prediction(self.label_names[best], float(probs[best]), named)
        chosen = [name for name, p in named.items() if p >= THRESHOLD]
        confidence = float(np.mean([named[n] for n in chosen])) if chosen else 1.0 - float(probs.max())
        return Prediction(";".join(chosen), confidence, named)

    def _tag(self, texts: list[str]) -> list[Prediction]:
        from workbench.core.encoding import PaddingCollator
        from workbench.core.inference import row_logits, softmax

        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length, return_offsets_mapping=True)
        offsets = encoded.pop("offset_mapping")
        rows = [{name: values[i] for name, values in encoded.items()} for i in range(len(texts))]
        logits = row_logits(self.model, rows, PaddingCollator(self.tokenizer, "token"))
        predictions = []
        for i, (text, row) in enumerate(zip(texts, logits)):
            probs = softmax(row)
            words = _words(encoded.word_ids(i), offsets[i])
            tags = [(self.label_names[int(probs[first].argmax())], float(probs[first].max()), start, end)
                    for first, start, end in words]
            spans = _entity_groups(text, tags)
            word_scores = [score for _, score, _, _ in tags]
            predictions.append(Prediction(" ".join(tag for tag, *_ in tags), float(np.mean(word_scores)) if word_scores else 1.0,
                                          {}, spans))
        return predictions


def _words(word_ids: list[int | None], offsets: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(first sub-token position, start character, end character) of each word, in order."""
    words: dict[int, list[int]] = {}
    for position, word in enumerate(word_ids):
        if word is not None:
            words.setdefault(word, []).append(position)
    return [(positions[0], offsets[positions[0]][0], offsets[positions[-1]][1]) for positions in words.values()]


def _entity_groups(text: str, tags: list[tuple[str, float, int, int]]) -> list[EntitySpan]:
    """Entity spans over tagged words (tag, score, start, end), scored by the mean of their words' scores."""
    from workbench.core.spans import tag_spans

    return [EntitySpan(span.type, text[tags[span.start][2] : tags[span.end - 1][3]], tags[span.start][2],
                       tags[span.end - 1][3], float(np.mean([score for _, score, _, _ in tags[span.start : span.end]])))
            for span in tag_spans([tag for tag, *_ in tags])]


def predict_csv(model_dir: str | Path, input_csv: str | Path, output_csv: str | Path, text_column: str = "text",
                pair_column: str | None = None, batch_rows: int = 1000) -> int:
    """Add `label` and `confidence` (token tasks: `entities`, JSON) to every row of a CSV; rows written.

    Reads and writes in chunks of `batch_rows`, so a large file is never held whole; the output goes
    to a temporary file renamed into place."""
    import pandas as pd

    input_csv, output_csv = Path(input_csv), Path(output_csv)
    if output_csv.resolve() == input_csv.resolve():
        raise WorkbenchError(f"The output {output_csv} is the input file; choose another name so the input is kept.")
    try:
        header = pd.read_csv(input_csv, nrows=0).columns
    except (OSError, ValueError) as exc:
        raise WorkbenchError(f"{input_csv} could not be read as a CSV file ({exc}).") from None
    for column in (text_column, pair_column):
        if column is not None and column not in header:
            raise WorkbenchError(f"{input_csv} has no column '{column}' (it has: {', '.join(map(str, header))}).")
    predictor = Predictor.load(model_dir)
    tmp = output_csv.with_name(f".{output_csv.name}.tmp")
    written = 0
    try:
        for chunk in pd.read_csv(input_csv, chunksize=batch_rows, dtype=str, keep_default_na=False):
            texts = chunk[text_column].tolist()
            pairs = chunk[pair_column].tolist() if pair_column else None
            predictions = predictor.predict(texts, pairs)
            if predictor.task == "token":
                chunk["entities"] = [json.dumps([vars(span) for span in p.spans], ensure_ascii=False) for p in predictions]
            else:
                chunk["label"] = [p.label for p in predictions]
                chunk["confidence"] = [round(p.confidence, 6) for p in predictions]
            chunk.to_csv(tmp, mode="w" if written == 0 else "a", header=written == 0, index=False)
            written += len(chunk)
        os.replace(tmp, output_csv)
    finally:
        tmp.unlink(missing_ok=True)
    return written
