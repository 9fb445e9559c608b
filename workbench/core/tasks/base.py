"""What the engine asks of a task. Each task module subclasses `Task` and sets `TASK` to its instance.

Rows flow through a task in three forms: *prepared* rows (the standard columns of
`workbench.core.data.preparation`), *encoded* rows (the model's inputs plus `labels` and `length`, and
`example`, the prepared row a window belongs to, for tasks that cut a row into windows), and per-row
*logits* from `workbench.core.tasks.batches.row_logits`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.core.tasks.logits import first_output, softmax
if TYPE_CHECKING:
    import pyarrow as pa

    from workbench.core.config import DataConfig, TaskConfig
    from workbench.core.tasks.prediction import Prediction

# further scores beside the built-in ones (training.extra_metrics): (preds, labels, keys taken) ->
# {key: value}, from what `metric_preds` gives; each task's `metric_inputs` turns them into the
# predictions and references `evaluate` modules take
ExtraScores = Callable[[Any, Any, set], dict]

# columns of encoded rows that are bookkeeping, not model inputs: the collator drops them
BOOKKEEPING = ("length", "example", "offsets", "context", "answers", "id", "question")


@dataclass(frozen=True)
class Encoder:
    """A batched `Dataset.map` function that encodes prepared rows, its keyword arguments besides the
    tokenizer, and whether it takes the rows' indices (to name the row each window comes from)."""

    function: Callable
    options: dict[str, Any] = field(default_factory=dict)
    with_indices: bool = False


def in_label_order(label_names: list[str], ids: set[int]) -> list[str]:
    """The names of the label ids in `ids`, in label order."""
    return [name for i, name in enumerate(label_names) if i in ids]


class Task:
    name: str
    title: str  # in words, for the model card: "text classification"
    pipeline_tag: str  # the transformers pipeline that serves an export
    peft_task_type: str  # the peft.TaskType member of its LoRA adapters
    text_columns: tuple[str, ...]  # prepared columns holding a row's text
    chance_key: str  # the validation metric the chance check reads, and its name in words
    chance_name: str
    prediction_columns: tuple[str, ...]  # what `workbench predict` adds to each CSV row
    input_columns: tuple[str, str | None] = ("text", None)  # the CSV columns `workbench predict` reads by default
    uses_labels = True  # whether rows carry class labels (label counts, class weights, the tree's head)
    left_out = "they could not be read"  # why preparing left rows out, for tasks that do
    count_column = "labels"  # the prepared column `count_labels` reads
    label_columns: list[str] | None = None  # the Trainer's label_names; None: what it finds in the model
    output_names: tuple[str, ...] = ("logits",)  # what the model returns, as the ONNX export names it
    tagged = False  # rows carry one tag per token (BIO checks, entity counts)
    multi_hot = False  # labels are multi-hot rows (multi_label), not class ids
    one_class_per_row = False  # each row has exactly one class (class weights are the remedy for imbalance)
    windows = "never"  # long texts: "never" read in windows (truncated), "optional" (task.windows), "always"
    result_form = "classes"  # what a results line holds: "classes", "label_sets", "tags" or "answers"
    # what predictions choose among, singular and plural (the unused-classes check names them so);
    # None: the task has no classes, and the check does not apply
    class_words: tuple[str, str] | None = ("class", "classes")

    # the model

    def auto_class(self):
        raise NotImplementedError

    def describes(self, model_config: dict) -> bool:
        """Whether a saved config.json is this task's model."""
        return False

    def head_options(self, label_names: list[str]) -> dict[str, Any]:
        """`from_pretrained` options that size the head: labels and their names by default."""
        return {"num_labels": len(label_names), "id2label": dict(enumerate(label_names)),
                "label2id": {name: i for i, name in enumerate(label_names)}}

    def adapt_model(self, model, data, task: TaskConfig) -> None:
        """Note in the new model's config what the training data and task settings say about how it
        reads its inputs (nothing by default)."""

    # data

    def plan(self, raw, config: DataConfig):
        """How `prepare` converts the raw splits: (batch conversion, features, label names, strata)."""
        raise NotImplementedError

    def carve_groups(self, train, config: DataConfig) -> np.ndarray | None:
        """Group ids of the raw training rows that a carved validation split keeps together (None:
        rows are carved one by one)."""
        return None

    def count_labels(self, labels: pa.Array, width: int) -> np.ndarray:
        """Rows (or tags) per counted name in one batch of the prepared `count_column`."""
        raise NotImplementedError

    def count_names(self, label_names: list[str]) -> list[str]:
        """What `count_labels` counts: the labels by default."""
        return label_names

    def joined_texts(self, table: pa.Table) -> pa.Array:
        """Each prepared row's text as one string (duplicate checks)."""
        return table[self.text_columns[0]]

    def token_lengths(self, batch: dict[str, list], tokenizer) -> list[list[int]]:
        """Untruncated `input_ids` of prepared rows, as training's tokenizer call makes them."""
        options = {"truncation": False, "return_attention_mask": False, "return_token_type_ids": False}
        return tokenizer(*(batch[column] for column in self.text_columns), **options)["input_ids"]

    # encoding and batching

    def encoder(self, task: TaskConfig, max_length: int) -> Encoder:
        raise NotImplementedError

    def padder(self, tokenizer):
        """The transformers collator that pads a batch of model inputs (and labels)."""
        from transformers import DataCollatorWithPadding

        return DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8)

    def batch_labels(self, batch: dict[str, Any]) -> dict[str, Any]:
        return batch

    # metrics

    def reduce_logits(self, logits):
        """Trainer's `preprocess_logits_for_metrics`: what evaluation keeps of a batch's logits (a
        model that also returns hidden states or attentions gives a tuple, logits first)."""
        return first_output(logits).argmax(dim=-1)

    def metrics(self, preds: np.ndarray, labels: np.ndarray, label_names: list[str]) -> dict[str, float]:
        """The built-in metrics on what `reduce_logits` kept; every task reports `accuracy` and `f1`."""
        raise NotImplementedError

    def metric_inputs(self, preds: np.ndarray, labels: np.ndarray) -> tuple[list, list]:
        """`predictions` and `references` for `evaluate` modules (training.extra_metrics)."""
        return preds.tolist(), labels.tolist()

    def compute_metrics(self, label_names: list[str], extra: ExtraScores | None = None,
                        encoded=None) -> Callable:
        """Trainer's `compute_metrics` for one encoded split: the built-in metrics and `extra`'s beside them."""

        def compute(eval_pred) -> dict[str, float]:
            preds, labels = eval_pred.predictions, eval_pred.label_ids
            if isinstance(preds, tuple):
                preds = preds[0]
            preds = self.metric_preds(preds)
            out = self.metrics(preds, labels, label_names)
            if extra is not None:
                out.update(extra(preds, labels, set(out)))
            return out

        return compute

    def metric_preds(self, preds: np.ndarray) -> np.ndarray:
        """What `reduce_logits` kept, as `metrics` reads it."""
        return preds

    def logit_preds(self, logits: list[np.ndarray]) -> np.ndarray | list:
        """What `reduce_logits` would keep, from per-row logits."""
        return np.stack(logits).argmax(-1)

    def row_labels(self, rows: Sequence[dict[str, Any]]) -> np.ndarray | list:
        return np.asarray([row["labels"] for row in rows])

    def rows_metrics(self, logits: list[np.ndarray], rows: Sequence[dict[str, Any]], label_names: list[str]) -> dict[str, float]:
        """The task's metrics on per-row logits of encoded rows (the ONNX check)."""
        return self.metrics(self.metric_preds(self.logit_preds(logits)), self.row_labels(rows), label_names)

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Class probabilities from logits (a softmax over the last axis)."""
        return softmax(logits)

    def unlearned_cause(self, data: DataConfig) -> str:
        """What to check when a run with sound settings learned nothing (a clause, for `chance`)."""
        return (f"the labels may not follow from the text, so check that data.label_column "
                f"('{data.label_column}') holds the labels of data.text_column ('{data.text_column}')")

    def constant_guess(self, train_counts: dict[str, int], validation_counts: dict[str, int],
                       validation_rows: int) -> tuple[float, str]:
        """The chance score (`chance_key`) a constant answer gets on validation, and that answer in words."""
        raise NotImplementedError

    # results and predictions

    def result_lines(self, records: list[dict], rows: list[dict], logits: list[np.ndarray], tokenizer,
                     label_names: list[str]) -> tuple[list[dict], dict[str, float]]:
        """One results line per prepared row (`records`) from its encoded rows' logits, and the metrics."""
        raise NotImplementedError

    def class_use(self, lines: list[dict], label_names: list[str]) -> tuple[list[str], list[str]]:
        """From a split's results lines (what `result_lines` wrote): the classes its gold answers hold
        and the classes its predictions use, each in label order (tasks whose `class_words` is set)."""
        raise NotImplementedError

    def predict(self, predictor, texts: list[str], pairs: list[str] | None) -> list[Prediction]:
        raise NotImplementedError

    def prediction_cells(self, predictions: list[Prediction]) -> list[list]:
        """The values of `prediction_columns` for each prediction, column by column."""
        return [[p.label for p in predictions], [round(p.confidence, 6) for p in predictions]]

    def usage(self) -> list[str]:
        """The model card's Python example, line by line."""
        return ["from transformers import pipeline", "",
                f'classify = pipeline("{self.pipeline_tag}", model="PATH", top_k=None)', 'classify("A sentence to try.")']
