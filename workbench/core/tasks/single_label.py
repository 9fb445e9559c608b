"""Single-label text classification: one class per text, a [CLS] head with a softmax over the classes.

`SequenceTask` holds what the sentence-level tasks share (single_label, pair, multi_label): they
encode texts the same way (whole up to max_length, or in windows: `windows`), evaluation keeps
their logits, and a result line holds a row's text and its class probabilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.core.tasks.base import Encoder, Task, in_label_order
from workbench.core.tasks.logits import first_output
from workbench.core.tasks.windows import PARAMS, encode_text_windows, model_windows, pool_windows, window_stride

DECIMALS = 6  # of the probabilities in results files


class SequenceTask(Task):
    pipeline_tag = "text-classification"
    peft_task_type = "SEQ_CLS"
    text_columns = ("text",)
    prediction_columns = ("label", "confidence")
    problem_type = "single_label_classification"
    one_class_per_row = True
    windows = "optional"
    chance_key, chance_name = "validation_f1_macro", "macro-F1"
    pooling = "mean"  # how a text's windows' logits become the text's (windows.pool_windows)

    def auto_class(self):
        import transformers

        return transformers.AutoModelForSequenceClassification

    def head_options(self, label_names: list[str]) -> dict[str, Any]:
        return {**super().head_options(label_names), "problem_type": self.problem_type}

    def adapt_model(self, model, data, task) -> None:
        if task.windows:
            model.config.task_specific_params = {
                PARAMS: {"max_length": task.max_length, "stride": window_stride(task.stride, task.max_length)}}

    def plan(self, raw, config):
        from workbench.core.tasks.columns import text_plan

        return text_plan(raw, config, pair=len(self.text_columns) == 2, multi_hot=self.multi_hot)

    def count_labels(self, labels, width: int) -> np.ndarray:
        return np.bincount(labels.to_numpy(), minlength=width)

    def encoder(self, task, max_length: int):
        if task.windows:
            return Encoder(encode_text_windows, {"max_length": max_length, "stride": window_stride(task.stride, max_length)},
                           with_indices=True)
        return Encoder(encode_texts, {"max_length": max_length})

    def reduce_logits(self, logits):
        return first_output(logits)  # a row's few class logits: windows are pooled from them

    def metric_preds(self, preds):
        return preds.argmax(-1)

    def logit_preds(self, logits):
        return np.stack(logits)

    def compute_metrics(self, label_names, extra=None, encoded=None):
        compute = super().compute_metrics(label_names, extra, encoded)
        if encoded is None or "example" not in encoded.column_names:
            return compute
        examples = np.asarray(encoded["example"])

        def pooled(eval_pred):
            from transformers import EvalPrediction

            logits, first = pool_windows(first_output(eval_pred.predictions), examples, self.pooling)
            return compute(EvalPrediction(predictions=logits, label_ids=np.asarray(eval_pred.label_ids)[first]))

        return pooled

    def text_logits(self, rows, logits) -> tuple[list, list]:
        """Per-text logits and rows (each text's first window) from per-row ones: windows pooled."""
        if not rows or "example" not in rows[0]:
            return logits, rows
        pooled, first = pool_windows(np.stack(logits), [row["example"] for row in rows], self.pooling)
        return list(pooled), [rows[i] for i in first]

    def rows_metrics(self, logits, rows, label_names):
        return super().rows_metrics(*self.text_logits(rows, logits), label_names)

    def metrics(self, preds, labels, label_names):
        from workbench.core.tasks.scores import classification_metrics

        return classification_metrics(labels, preds, len(label_names))

    def constant_guess(self, train_counts, validation_counts, validation_rows):
        """The macro-F1 of always answering the most common training class."""
        common = max(train_counts, key=train_counts.get)
        share = validation_counts.get(common, 0) / max(sum(validation_counts.values()), 1)
        return 2 * share / (1 + share) / len(train_counts), f"always answering '{common}'"

    def result_lines(self, records, rows, logits, tokenizer, label_names):
        logits, rows = self.text_logits(rows, logits)
        stacked = np.stack(logits).reshape(len(rows), len(label_names))
        probs = np.round(self.probabilities(stacked), DECIMALS).tolist()
        lines = [{**{column: record[column] for column in self.text_columns}, **self.gold(record), "probs": row_probs}
                 for record, row_probs in zip(records, probs)]
        preds = self.metric_preds(self.logit_preds(logits))
        return lines, self.metrics(preds, self.row_labels(records), label_names)

    def gold(self, record: dict) -> dict:
        return {"label": record["labels"]}

    def class_use(self, lines, label_names):
        """The classes of the rows and the classes their most probable answers name."""
        gold = {line["label"] for line in lines}
        predicted = {int(np.argmax(line["probs"])) for line in lines}
        return in_label_order(label_names, gold), in_label_order(label_names, predicted)

    def predict(self, predictor, texts, pairs):
        from workbench.core.tasks.batches import PREDICTION_PADDING, TaskCollator, row_logits
        from workbench.core.tasks.prediction import Prediction

        tokenizer, max_length = predictor.tokenizer, predictor.max_length
        params = model_windows(predictor.model.config)
        if params is None:
            encoded = tokenizer(texts, pairs, truncation=True, max_length=max_length)
        else:  # a model trained on windows reads long texts in windows
            batch = {"text": texts, **({"text_pair": pairs} if pairs is not None else {})}
            max_length = min(params["max_length"], max_length)  # the windows it was trained on
            encoded = encode_text_windows(batch, list(range(len(texts))), tokenizer, max_length,
                                          window_stride(params["stride"], max_length))
        rows = [{name: values[i] for name, values in encoded.items()} for i in range(len(encoded["input_ids"]))]
        collator = TaskCollator(tokenizer, self, PREDICTION_PADDING)
        logits, _ = self.text_logits(rows, row_logits(predictor.model, rows, collator))
        names = predictor.label_names
        out = []
        for row in logits:
            probs = self.probabilities(row)
            best = int(probs.argmax())
            out.append(Prediction(names[best], float(probs[best]), dict(zip(names, map(float, probs)))))
        return out


def encode_texts(batch: dict[str, list], tokenizer, max_length: int) -> dict[str, list]:
    enc = tokenizer(batch["text"], batch.get("text_pair"), truncation=True, max_length=max_length)
    enc["labels"] = batch["labels"]
    enc["length"] = [len(ids) for ids in enc["input_ids"]]
    return dict(enc)


class SingleLabel(SequenceTask):
    name = "single_label"
    title = "text classification"

    def describes(self, model_config: dict) -> bool:
        return model_config.get("problem_type") == "single_label_classification"


TASK = SingleLabel()
