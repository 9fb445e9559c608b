"""Token classification (NER): one tag per word, read as entity spans (IOB2, IOBES too).

Training labels the first sub-token of each word; predictions follow the token-classification
pipeline's `aggregation_strategy="first"`: sub-tokens join words by the pipeline's own rule
(`_words`), a word takes its first sub-token's tag, and an entity is a run of words that
`spans.tag_spans` reads from the tags. Result rows are word level; a word without a sub-token (cut
off by truncation, or one the tokenizer drops, such as a lone zero-width space) has no prediction:
pred -1, confidence 0.
"""

from __future__ import annotations

import json

import numpy as np

from workbench.core.tasks.base import Encoder, Task

DECIMALS = 6
IGNORED = -100


class Token(Task):
    name = "token"
    tagged = True
    result_form = "tags"
    class_words = ("entity type", "entity types")
    title = "token classification (NER)"
    pipeline_tag = "token-classification"
    peft_task_type = "TOKEN_CLS"
    text_columns = ("tokens",)
    chance_key, chance_name = "validation_f1", "entity F1"
    prediction_columns = ("entities",)

    def auto_class(self):
        import transformers

        return transformers.AutoModelForTokenClassification

    def describes(self, model_config: dict) -> bool:
        return any(name.endswith("ForTokenClassification") for name in model_config.get("architectures") or [])

    def plan(self, raw, config):
        from workbench.core.tasks.columns import token_plan

        return token_plan(raw, config)

    def count_labels(self, labels, width: int) -> np.ndarray:
        import pyarrow.compute as pc

        return np.bincount(pc.list_flatten(labels).to_numpy(), minlength=width)

    def joined_texts(self, table):
        import pyarrow.compute as pc

        return pc.binary_join(table["tokens"], " ")

    def token_lengths(self, batch, tokenizer):
        options = {"truncation": False, "return_attention_mask": False, "return_token_type_ids": False}
        return tokenizer(batch["tokens"], is_split_into_words=True, **options)["input_ids"]

    def encoder(self, task, max_length: int):
        return Encoder(encode_tokens, {"max_length": max_length})

    def padder(self, tokenizer):
        from transformers import DataCollatorForTokenClassification

        return DataCollatorForTokenClassification(tokenizer, pad_to_multiple_of=8)

    def metrics(self, preds, labels, label_names):
        from workbench.core.tasks.scores import token_metrics

        return token_metrics(labels, preds, label_names)

    def metric_inputs(self, preds, labels):
        kept = labels != IGNORED
        return preds[kept].tolist(), labels[kept].tolist()

    def logit_preds(self, logits):  # rows keep their own length; the metric skips positions labelled -100
        return [row.argmax(-1) for row in logits]

    def row_labels(self, rows):
        return [np.asarray(row["labels"]) for row in rows]

    def constant_guess(self, train_counts, validation_counts, validation_rows):
        """Tagging everything O scores an entity F1 of 0."""
        return 0.0, "tagging every token O"

    def result_lines(self, records, rows, logits, tokenizer, label_names):
        """Word-level gold tags, predicted tags and confidences. The words are tokenised again, truncated
        at the longest encoded row, which gives every row's encoding back with its word ids."""
        from workbench.core.tasks.logits import softmax

        words = [record["tokens"] for record in records]
        longest = max((len(row["input_ids"]) for row in rows), default=0)
        encoding = tokenizer(words, is_split_into_words=True, truncation=True, max_length=longest) if words else None
        lines = []
        for i, (record, row, row_logits) in enumerate(zip(records, rows, logits)):
            positions = np.flatnonzero(np.asarray(row["labels"]) != IGNORED)
            word_ids = [encoding.word_ids(i)[p] for p in positions]
            probs = softmax(row_logits[positions])
            pred, confidence = np.full(len(words[i]), -1), np.zeros(len(words[i]))
            pred[word_ids], confidence[word_ids] = probs.argmax(axis=-1), probs.max(axis=-1)
            lines.append({"tokens": words[i], "gold": record["labels"], "pred": pred.tolist(),
                          "confidence": np.round(confidence, DECIMALS).tolist()})
        return lines, self.rows_metrics(logits, rows, label_names)

    def class_use(self, lines, label_names):
        """The entity types of the gold tags' spans and of the predicted tags' spans (a word without a
        prediction, pred -1, counts as O), in the order the tags name them."""
        from workbench.core.tasks.spans import tag_spans

        def types(key: str) -> set[str]:
            return {span.type for line in lines
                    for span in tag_spans([label_names[i] if i >= 0 else "O" for i in line[key]])}

        gold, predicted = types("gold"), types("pred")
        order = list(dict.fromkeys(name[2:] for name in label_names if name != "O"))
        return [t for t in order if t in gold], [t for t in order if t in predicted]

    def predict(self, predictor, texts, pairs):
        from workbench.core.tasks.batches import PREDICTION_PADDING, TaskCollator, row_logits
        from workbench.core.tasks.logits import softmax
        from workbench.core.tasks.prediction import EntitySpan, Prediction
        from workbench.core.tasks.spans import tag_spans

        tokenizer = predictor.tokenizer
        encoded = tokenizer(texts, truncation=True, max_length=predictor.max_length, return_offsets_mapping=True,
                            return_special_tokens_mask=True)
        offsets, special = encoded.pop("offset_mapping"), encoded.pop("special_tokens_mask")
        rows = [{name: values[i] for name, values in encoded.items()} for i in range(len(texts))]
        logits = row_logits(predictor.model, rows, TaskCollator(tokenizer, self, PREDICTION_PADDING))
        predictions = []
        for text, row, row_offsets, row_special, probs in zip(texts, rows, offsets, special, map(softmax, logits)):
            words = _words(tokenizer, text, row["input_ids"], row_offsets, row_special)
            tags = [predictor.label_names[int(probs[first].argmax())] for first, _, _ in words]
            scores = [float(probs[first].max()) for first, _, _ in words]
            spans = [EntitySpan(span.type, text[words[span.start][1] : words[span.end - 1][2]], words[span.start][1],
                                words[span.end - 1][2], float(np.mean(scores[span.start : span.end])))
                     for span in tag_spans(tags)]
            predictions.append(Prediction(" ".join(tags), float(np.mean(scores)) if scores else 1.0, {}, spans))
        return predictions

    def prediction_cells(self, predictions):
        return [[json.dumps([vars(s) for s in p.spans], ensure_ascii=False) for p in predictions]]

    def usage(self):
        return ["from transformers import pipeline", "",
                f'classify = pipeline("{self.pipeline_tag}", model="PATH", aggregation_strategy="first")',
                'classify("A sentence to try.")']


TASK = Token()


def encode_tokens(batch: dict[str, list], tokenizer, max_length: int) -> dict[str, list]:
    """Label the first sub-token of each word; other sub-tokens and special tokens get -100."""
    enc = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=max_length)
    aligned = []
    for i, tags in enumerate(batch["labels"]):
        previous = None
        row = []
        for word in enc.word_ids(i):
            row.append(IGNORED if word is None or word == previous else tags[word])
            previous = word
        aligned.append(row)
    enc["labels"] = aligned
    enc["length"] = [len(ids) for ids in enc["input_ids"]]
    return dict(enc)


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
