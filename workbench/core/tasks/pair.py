"""Sentence-pair classification: one class per pair of texts, encoded together as [CLS] a [SEP] b [SEP]."""

from __future__ import annotations

from workbench.core.tasks.single_label import SequenceTask


class Pair(SequenceTask):
    name = "pair"
    title = "sentence-pair classification"
    text_columns = ("text", "text_pair")

    def joined_texts(self, table):
        import pyarrow.compute as pc

        return pc.binary_join_element_wise(table["text"], table["text_pair"], "\n")

    def usage(self):
        return [*super().usage()[:-1], 'classify({"text": "first sentence", "text_pair": "second sentence"})']


TASK = Pair()
