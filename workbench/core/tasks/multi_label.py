"""Multi-label classification: any number of labels per text, each a yes/no decision (independent
sigmoids, binary cross-entropy). A label is predicted at probability `THRESHOLD` or above."""

from __future__ import annotations

import numpy as np

from workbench.core.tasks.base import in_label_order
from workbench.core.tasks.single_label import SequenceTask

THRESHOLD = 0.5


class MultiLabel(SequenceTask):
    name = "multi_label"
    title = "multi-label text classification"
    problem_type = "multi_label_classification"
    multi_hot = True
    one_class_per_row = False
    result_form = "label_sets"
    class_words = ("label", "labels")
    chance_key, chance_name = "validation_f1_micro", "micro-F1"
    pooling = "max"  # a label that any window of a text finds

    def describes(self, model_config: dict) -> bool:
        return model_config.get("problem_type") == self.problem_type

    def count_labels(self, labels, width: int) -> np.ndarray:
        import pyarrow.compute as pc

        return pc.list_flatten(labels).to_numpy().reshape(-1, width).sum(axis=0).astype(np.int64)

    def batch_labels(self, batch):
        if "labels" in batch:  # inference batches have no labels
            batch["labels"] = batch["labels"].float()
        return batch

    def metric_preds(self, preds):
        from workbench.core.tasks.logits import sigmoid

        return sigmoid(preds)

    def probabilities(self, logits):
        from workbench.core.tasks.logits import sigmoid

        return sigmoid(logits)

    def metrics(self, preds, labels, label_names):
        from workbench.core.tasks.scores import multilabel_metrics

        return multilabel_metrics(labels, preds, THRESHOLD)

    def metric_inputs(self, preds, labels):
        return (preds >= THRESHOLD).astype(int).tolist(), (labels >= 0.5).astype(int).tolist()

    def constant_guess(self, train_counts, validation_counts, validation_rows):
        """The micro-F1 of answering every label (never worse than answering none)."""
        positives = sum(validation_counts.values())
        share = positives / max(validation_rows * len(validation_counts), 1)
        return 2 * share / (1 + share), "answering every label"

    def gold(self, record):
        return {"labels": [i for i, on in enumerate(record["labels"]) if on >= 0.5]}

    def class_use(self, lines, label_names):
        """The labels some row has, and those predicted for some row (probability `THRESHOLD` or above)."""
        gold = {i for line in lines for i in line["labels"]}
        predicted = {i for line in lines for i, prob in enumerate(line["probs"]) if prob >= THRESHOLD}
        return in_label_order(label_names, gold), in_label_order(label_names, predicted)

    def predict(self, predictor, texts, pairs):
        from workbench.core.tasks.prediction import Prediction

        out = []
        for p in super().predict(predictor, texts, pairs):
            chosen = [name for name, prob in p.probs.items() if prob >= THRESHOLD]
            confidence = float(np.mean([p.probs[n] for n in chosen])) if chosen else 1.0 - max(p.probs.values())
            out.append(Prediction(";".join(chosen), confidence, p.probs))
        return out


TASK = MultiLabel()
