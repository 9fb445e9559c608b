"""Extractive question answering: the answer is a span of the context, found by a start and an end
head over its tokens (`AutoModelForQuestionAnswering`). Contexts are cut into overlapping windows
(`qa_windows`); scores are SQuAD's exact match and F1 (`qa_scores`), plus no-answer accuracy when
the data has unanswerable questions (SQuAD v2.0), which the model then learns to answer with nothing.

A model trained on such data says so in its config.json (`task_specific_params`), so that its
predictor (and any reader of the export) lets the empty answer compete.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from workbench.core.tasks.base import Encoder, Task
from workbench.core.tasks.windows import window_stride

PIPELINE = "question-answering"
MAX_SEQ_LEN, DOC_STRIDE = 384, 128  # the question-answering pipeline's defaults
TOP_ANSWERS = 5  # answers a prediction keeps: the best and its alternatives
DECIMALS = 6


class QuestionAnswering(Task):
    name = "qa"
    title = "extractive question answering"
    pipeline_tag = PIPELINE
    peft_task_type = "QUESTION_ANS"
    text_columns = ("question", "context")
    chance_key, chance_name = "validation_f1", "F1"
    prediction_columns = ("answer", "answer_start", "score")
    input_columns = ("question", "context")
    uses_labels = False
    class_words = None  # answers are spans of the context, not classes
    windows = "always"
    result_form = "answers"
    label_columns = ["start_positions", "end_positions"]
    count_column = "answers"
    output_names = ("start_logits", "end_logits")
    left_out = "their answer is not in their context (check the answer and answer_start columns)"

    def auto_class(self):
        import transformers

        return transformers.AutoModelForQuestionAnswering

    def describes(self, model_config: dict) -> bool:
        return any(name.endswith("ForQuestionAnswering") for name in model_config.get("architectures") or [])

    def head_options(self, label_names):
        return {}

    def adapt_model(self, model, data, task) -> None:
        """The windows it was trained on, and whether the empty answer competes (SQuAD v2.0 data)."""
        params = {"max_seq_len": task.max_length, "doc_stride": window_stride(task.stride, task.max_length)}
        if any(not answers["text"] for answers in data.splits["train"]["answers"]):
            params["handle_impossible_answer"] = True
        model.config.task_specific_params = {PIPELINE: params}

    def plan(self, raw, config):
        from workbench.core.tasks.qa_columns import qa_plan

        return qa_plan(raw, config)

    def carve_groups(self, train, config):
        from workbench.core.tasks.qa_columns import context_groups

        return context_groups(train, config)

    def count_names(self, label_names):
        return ["answerable", "unanswerable"]

    def count_labels(self, answers, width):
        import pyarrow.compute as pc

        empty = pc.equal(pc.list_value_length(pc.struct_field(answers, "text")), 0).to_numpy(zero_copy_only=False)
        return np.array([int((~empty).sum()), int(empty.sum())])

    def joined_texts(self, table):
        import pyarrow.compute as pc

        return pc.binary_join_element_wise(table["question"], table["context"], "\n")

    def encoder(self, task, max_length):
        from workbench.core.tasks.qa_windows import encode_windows

        return Encoder(encode_windows, {"max_length": max_length, "stride": window_stride(task.stride, max_length)},
                       with_indices=True)

    def reduce_logits(self, logits):
        return logits  # (start logits, end logits): answers are read from both

    def compute_metrics(self, label_names, extra=None, encoded=None):
        from workbench.core.tasks.qa_windows import window_logits

        rows = encoded.select_columns(["example", "offsets", "context", "answers", "length"]).to_list()

        def compute(eval_pred):
            start, end = eval_pred.predictions
            logits = window_logits(np.asarray(start), np.asarray(end), [row["length"] for row in rows])
            answers = self._answers(logits, rows, allow_empty=_any_unanswerable(rows))
            out = _scores(answers, rows)
            if extra is not None:
                out.update(extra(*_squad_inputs(answers, rows), set(out)))
            return out

        return compute

    def metric_inputs(self, preds, labels):
        return preds, labels  # already in the squad modules' form (_squad_inputs)

    def rows_metrics(self, logits, rows, label_names):
        return _scores(self._answers(logits, rows, allow_empty=_any_unanswerable(rows)), rows)

    def _answers(self, logits, rows, allow_empty: bool, top_k: int = 1) -> dict[int, list]:
        """Each question's best answers (by its `example` index) over its windows."""
        from workbench.core.tasks.qa_windows import best_answers

        windows = defaultdict(list)
        for row, row_logits in zip(rows, logits):
            windows[row["example"]].append((row_logits, row))
        return {example: best_answers([w[0] for w in found], [w[1]["offsets"] for w in found], found[0][1]["context"],
                                      top_k=top_k, allow_empty=allow_empty)
                for example, found in windows.items()}

    def unlearned_cause(self, data):
        return ("a backbone not trained for question answering needs thousands of questions to learn it, so add "
                "questions, train longer, or start from a checkpoint fine-tuned on SQuAD")

    def constant_guess(self, train_counts, validation_counts, validation_rows):
        """Answering nothing scores the share of unanswerable questions."""
        return validation_counts.get("unanswerable", 0) / max(validation_rows, 1), "answering nothing"

    def result_lines(self, records, rows, logits, tokenizer, label_names):
        from workbench.core.tasks.qa_scores import exact_match, token_f1

        answers = self._answers(logits, rows, allow_empty=any(not r["answers"]["text"] for r in records))
        lines = []
        for index, record in enumerate(records):
            best = answers[index][0]
            truths = record["answers"]["text"] or [""]
            lines.append({"id": record["id"], "question": record["question"], "context": record["context"],
                          "answers": record["answers"]["text"], "answer_starts": record["answers"]["answer_start"],
                          "pred": best.text, "pred_start": best.start, "score": round(best.score, DECIMALS),
                          "exact_match": max(exact_match(best.text, t) for t in truths),
                          "f1": round(max(token_f1(best.text, t) for t in truths), DECIMALS)})
        return lines, _scores(answers, rows)

    def predict(self, predictor, texts, pairs):
        """Answers to questions (`texts`) in contexts (`pairs`), in the windows the model was trained on
        (its task_specific_params), else in the pipeline's default ones."""
        from workbench.core.errors import WorkbenchError
        from workbench.core.tasks.batches import PREDICTION_PADDING, TaskCollator, row_logits
        from workbench.core.tasks.prediction import Prediction
        from workbench.core.tasks.qa_windows import encode_windows

        if pairs is None:
            raise WorkbenchError("A question-answering model needs a context for each question.")
        params = (getattr(predictor.model.config, "task_specific_params", None) or {}).get(PIPELINE, {})
        max_length = min(params.get("max_seq_len", MAX_SEQ_LEN), predictor.max_length)
        stride = min(params.get("doc_stride", DOC_STRIDE), max_length // 2)
        windows = encode_windows({"question": texts, "context": pairs}, list(range(len(texts))), predictor.tokenizer,
                                 max_length, stride, labelled=False)
        rows = [{name: values[i] for name, values in windows.items()} for i in range(len(windows["input_ids"]))]
        logits = row_logits(predictor.model, rows, TaskCollator(predictor.tokenizer, self, PREDICTION_PADDING))
        found = self._answers(logits, rows, allow_empty=bool(params.get("handle_impossible_answer")), top_k=TOP_ANSWERS)
        return [Prediction(found[i][0].text, found[i][0].score, {}, answers=found[i]) for i in range(len(texts))]

    def prediction_cells(self, predictions):
        return [[p.label for p in predictions], [p.answers[0].start for p in predictions],
                [round(p.confidence, 6) for p in predictions]]

    def usage(self):
        """transformers 5 has no question-answering pipeline (transformers 4's reads the folder as is)."""
        return ["import torch", "from transformers import AutoModelForQuestionAnswering, AutoTokenizer", "",
                'tokenizer = AutoTokenizer.from_pretrained("PATH")',
                'model = AutoModelForQuestionAnswering.from_pretrained("PATH")',
                'inputs = tokenizer("Who wrote it?", "It was written by Ada.", truncation="only_second", return_tensors="pt")',
                "with torch.no_grad():", "    out = model(**inputs)",
                "start, end = int(out.start_logits.argmax()), int(out.end_logits.argmax())",
                "print(tokenizer.decode(inputs.input_ids[0, start : end + 1]))",
                f'# transformers 4: pipeline("{PIPELINE}", model="PATH")("Who wrote it?", "It was written by Ada.")']


def _any_unanswerable(rows) -> bool:
    return any(not row["answers"]["text"] for row in rows)


def _squad_inputs(answers: dict[int, list], rows) -> tuple[list[dict], list[dict]]:
    """Predictions and references as `evaluate`'s squad module takes them (squad_v2's, with a
    no-answer probability, when the data has unanswerable questions)."""
    firsts = {row["example"]: row for row in reversed(rows)}
    v2 = _any_unanswerable(rows)
    predictions, references = [], []
    for example in sorted(answers):
        best = answers[example][0]
        predictions.append({"id": str(example), "prediction_text": best.text,
                            **({"no_answer_probability": float(not best.text)} if v2 else {})})
        references.append({"id": str(example), "answers": firsts[example]["answers"]})
    return predictions, references


def _scores(answers: dict[int, list], rows) -> dict[str, float]:
    from workbench.core.tasks.qa_scores import squad_scores

    truths = {row["example"]: row["answers"]["text"] for row in rows}
    order = sorted(answers)
    scores = squad_scores([answers[i][0].text for i in order], [truths[i] for i in order])
    return {**scores, "accuracy": scores["exact_match"]}


TASK = QuestionAnswering()
