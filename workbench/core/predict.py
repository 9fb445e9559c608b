"""A trained model on new text: the Try it page, `workbench predict` and the export parity tests.

`Predictor` reads any folder `save_pretrained` wrote (a run's `model/` or an export). Its answers
are the ones `transformers.pipeline` gives for the same folder: text-classification scores (softmax,
or sigmoid for multi-label), and for token classification the entity groups of
`aggregation_strategy="first"`: sub-tokens join words by the pipeline's own rule (`_words`), a word
takes its first sub-token's tag, and an entity is a run of words that `spans.tag_spans` reads from
the IOB2 tags.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.events import RunStarted
from workbench.core.runs import CONFIG_FILE, STATUS_FILE, read_events, run_config

log = logging.getLogger(__name__)

THRESHOLD = 0.5  # multi-label: a label is predicted at this probability or above


@dataclass
class EntitySpan:
    type: str
    text: str
    start: int  # character offsets in the input text, end exclusive
    end: int
    score: float  # the mean of its words' scores


@dataclass
class Prediction:
    label: str  # multi-label: the chosen labels joined by ";" ("" when none); token tasks: the word tags
    confidence: float  # top probability; multi-label: mean of the chosen (1 - max when none); token: mean word score
    probs: dict[str, float]  # empty for token tasks
    spans: list[EntitySpan] | None = None  # token tasks


@dataclass(frozen=True)
class SavedModel:
    """What a model folder says about itself, and what its run says when the folder is a run's `model/`."""

    path: Path
    task: str
    label_names: list[str]
    max_length: int | None  # the run's; None outside a run
    positions: int | None  # the model's max_position_embeddings

    def input_limit(self, tokenizer) -> int:
        """The tokens an input is cut to: what the model and tokenizer take, as `pipeline` reads a
        folder (not the run's max_length, so predictions stay the pipeline's for longer inputs)."""
        return min(tokenizer.model_max_length, self.positions or tokenizer.model_max_length)

    @classmethod
    def read(cls, model_dir: str | Path) -> SavedModel:
        model_dir = Path(model_dir)
        try:
            config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
            label_names = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        except (OSError, ValueError, KeyError):
            raise WorkbenchError(f"{model_dir} holds no model (its config.json is missing or unreadable).") from None
        task, max_length = "single_label", None
        if any(name.endswith("ForTokenClassification") for name in config.get("architectures") or []):
            task = "token"
        elif config.get("problem_type") == "multi_label_classification":
            task = "multi_label"
        run_dir = model_dir.parent
        if (run_dir / CONFIG_FILE).is_file() and (run_dir / STATUS_FILE).is_file():  # a run folder
            task = "pair" if run_config(run_dir).task.type == "pair" else task
            max_length = run_max_length(run_dir)
        return cls(model_dir, task, label_names, max_length, config.get("max_position_embeddings"))


def run_max_length(run_dir: Path) -> int | None:
    """The max_length a run encoded with: its RunStarted event's, else its config's (None: not known)."""
    started = [event.max_length for event in read_events(run_dir) if isinstance(event, RunStarted)]
    return started[-1] if started else run_config(run_dir).task.max_length


class Predictor:
    def __init__(self, model, tokenizer, task: str, max_length: int):
        self.model, self.tokenizer, self.task, self.max_length = model, tokenizer, task, max_length
        self.label_names = [model.config.id2label[i] for i in range(model.config.num_labels)]

    @classmethod
    def load(cls, model_dir: str | Path) -> Predictor:
        from transformers import AutoTokenizer

        from workbench.core.device import pick_device
        from workbench.core.heads import auto_class

        saved = SavedModel.read(model_dir)
        try:
            model = auto_class(saved.task).from_pretrained(saved.path, dtype="float32")
            tokenizer = AutoTokenizer.from_pretrained(saved.path)
        except (OSError, ValueError) as exc:
            log.info("Loading the model in %s failed", saved.path, exc_info=True)
            raise WorkbenchError(
                f"The model in {saved.path} could not be loaded (a weights or tokenizer file is missing or damaged); "
                "export the run again."
            ) from exc
        return cls(model.to(pick_device()).eval(), tokenizer, saved.task, saved.input_limit(tokenizer))

    def predict(self, texts: list[str], pairs: list[str] | None = None) -> list[Prediction]:
        if not texts:
            return []
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
        from workbench.core.spans import tag_spans

        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length, return_offsets_mapping=True,
                                 return_special_tokens_mask=True)
        offsets, special = encoded.pop("offset_mapping"), encoded.pop("special_tokens_mask")
        rows = [{name: values[i] for name, values in encoded.items()} for i in range(len(texts))]
        logits = row_logits(self.model, rows, PaddingCollator(self.tokenizer, "token"))
        predictions = []
        for text, row, row_offsets, row_special, probs in zip(texts, rows, offsets, special, map(softmax, logits)):
            words = _words(self.tokenizer, text, row["input_ids"], row_offsets, row_special)
            tags = [self.label_names[int(probs[first].argmax())] for first, _, _ in words]
            scores = [float(probs[first].max()) for first, _, _ in words]
            spans = [EntitySpan(span.type, text[words[span.start][1] : words[span.end - 1][2]], words[span.start][1],
                                words[span.end - 1][2], float(np.mean(scores[span.start : span.end])))
                     for span in tag_spans(tags)]
            predictions.append(Prediction(" ".join(tags), float(np.mean(scores)) if scores else 1.0, {}, spans))
        return predictions


def _words(tokenizer, text: str, ids: list[int], offsets: list[tuple[int, int]],
           special: list[int]) -> list[tuple[int, int, int]]:
    """(first sub-token position, start character, end character) of each word, split as the
    token-classification pipeline splits them: with a `##`-style tokenizer a sub-token whose text is
    not as long as its token continues the word; otherwise any sub-token not after a space does."""
    marks_pieces = bool(getattr(getattr(getattr(tokenizer, "_tokenizer", None), "model", None),
                                "continuing_subword_prefix", None))
    tokens = tokenizer.convert_ids_to_tokens(ids)
    words: list[tuple[int, int, int]] = []
    for position, (token, (start, end), is_special) in enumerate(zip(tokens, offsets, special)):
        if is_special:
            continue
        if ids[position] == tokenizer.unk_token_id:
            continues = False
        elif marks_pieces:
            continues = len(token) != end - start
        else:
            continues = start > 0 and " " not in text[start - 1 : start + 1]
        if continues and words:
            words[-1] = (words[-1][0], words[-1][1], end)
        else:
            words.append((position, start, end))
    return words


def _chunks(input_csv: Path, text: Path, rows: int):
    """The CSV `text` (the UTF-8 text of `input_csv`) in chunks of `rows` rows as strings; a row pandas
    cannot split is named in our sentence."""
    import pandas as pd

    from workbench.core.data.problems import problem

    try:
        yield from pd.read_csv(text, chunksize=rows, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.ParserError as exc:
        log.info("Reading %s failed", input_csv, exc_info=True)
        raise WorkbenchError(problem(input_csv, text, "csv", ",") or f"{input_csv} could not be read as a CSV file; "
                             "check that it is comma-separated with a header line.") from exc


def predict_csv(model_dir: str | Path, input_csv: str | Path, output_csv: str | Path, text_column: str = "text",
                pair_column: str | None = None, batch_rows: int = 1000) -> int:
    """Add `label` and `confidence` (token tasks: `entities`, JSON) to every row of a CSV; rows written.

    Reads and writes `batch_rows` rows at a time, so a large file is never held whole; the output
    goes to a temporary file renamed into place. Input cells are kept as they were written (as text); the
    output is UTF-8 whatever the input's encoding."""
    import pandas as pd

    from workbench.core.data.charsets import as_utf8

    input_csv, output_csv = Path(input_csv), Path(output_csv)
    if output_csv.resolve() == input_csv.resolve():
        raise WorkbenchError(f"The output {output_csv} is the input file; choose another name so the input is kept.")
    if not input_csv.is_file():
        raise WorkbenchError(f"The input {input_csv} does not exist.")
    text = as_utf8(input_csv).path  # a Windows-1252 or UTF-16 export is read through its UTF-8 copy
    try:
        header = pd.read_csv(text, nrows=0, encoding="utf-8-sig").columns
    except (OSError, ValueError) as exc:
        log.info("Reading the header of %s failed", input_csv, exc_info=True)
        raise WorkbenchError(f"{input_csv} has no header line to read; the first line must name the columns.") from exc
    for column in (text_column, pair_column):
        if column is not None and column not in header:
            raise WorkbenchError(f"{input_csv} has no column '{column}' (it has: {', '.join(map(str, header))}).")
    predictor = Predictor.load(model_dir)
    if predictor.task == "pair" and pair_column is None:
        raise WorkbenchError(f"{model_dir} is a sentence-pair model; name the column of {input_csv} "
                             "that holds the second texts (--pair-column).")
    # A column the input already has (say the gold `label`) is kept; the prediction's gets a prefix.
    added = [f"predicted_{name}" if name in header else name
             for name in (["entities"] if predictor.task == "token" else ["label", "confidence"])]
    tmp = output_csv.with_name(f".{output_csv.name}.tmp-{os.getpid()}")
    written = 0
    try:
        pd.DataFrame(columns=[*header, *added]).to_csv(tmp, index=False)
        for chunk in _chunks(input_csv, text, batch_rows):
            predictions = predictor.predict(chunk[text_column].tolist(),
                                            chunk[pair_column].tolist() if pair_column else None)
            if predictor.task == "token":
                chunk[added[0]] = [json.dumps([vars(s) for s in p.spans], ensure_ascii=False) for p in predictions]
            else:
                chunk[added[0]] = [p.label for p in predictions]
                chunk[added[1]] = [round(p.confidence, 6) for p in predictions]
            chunk.to_csv(tmp, mode="a", header=False, index=False)
            written += len(chunk)
        os.replace(tmp, output_csv)
    finally:
        tmp.unlink(missing_ok=True)
    return written
