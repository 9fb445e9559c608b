"""A short, curated list of backbones to start from: the bundled MiniLM first, then well-known Hub
encoders of each family the engine trains (BERT, DistilBERT, RoBERTa, DeBERTa-v3, ModernBERT, XLM-R,
ELECTRA), each with its size, its languages and what it is good at.

The Model page's picker and `workbench backbones` list it. It is plain data: nothing here loads or
downloads a model, and any other Hub id or local model folder is as good a `backbone.name`.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.config import BUNDLED_BACKBONE


@dataclass(frozen=True)
class Backbone:
    name: str  # what `backbone.name` is set to: the bundled name or a Hub id
    title: str  # the short name people know it by
    parameters: float  # millions, the encoder without a task head (rounded)
    languages: str
    good_at: str  # one sentence

    @property
    def bundled(self) -> bool:
        """Shipped with the workbench: no download."""
        return self.name == BUNDLED_BACKBONE

    @property
    def needs_download(self) -> bool:
        return not self.bundled

    def size(self) -> str:
        return f"{self.parameters:g}M parameters"

    def description(self) -> str:
        """One line: its languages, what it is good at, and whether it downloads (the size is `size()`)."""
        where = "Bundled: no download." if self.bundled else "Downloaded from the Hugging Face Hub on first use."
        return f"{self.languages} · {self.good_at} {where}"


CATALOGUE: tuple[Backbone, ...] = (
    Backbone(BUNDLED_BACKBONE, "all-MiniLM-L6-v2", 22.7, "English",
             "Small and fast: a 6-layer MiniLM that fine-tunes in minutes on a CPU; a good first try for short texts."),
    Backbone("bert-base-uncased", "BERT base (uncased)", 110, "English, lower-cased",
             "The classic baseline for classification, pairs and question answering; ignores case."),
    Backbone("bert-base-cased", "BERT base (cased)", 108, "English",
             "BERT that keeps case: better where capitals carry meaning, such as names in NER."),
    Backbone("distilbert-base-uncased", "DistilBERT base (uncased)", 66, "English, lower-cased",
             "BERT distilled to 6 layers: about 60% faster, with most of BERT's accuracy."),
    Backbone("roberta-base", "RoBERTa base", 125, "English",
             "BERT pretrained longer on more text: usually more accurate than BERT for classification."),
    Backbone("microsoft/deberta-v3-base", "DeBERTa-v3 base", 184, "English",
             "Among the most accurate base-size encoders for classification, inference (NLI) and QA; slower steps."),
    Backbone("answerdotai/ModernBERT-base", "ModernBERT base", 149, "English and code",
             "A 2024 encoder that reads up to 8,192 tokens: long documents, code and retrieval."),
    Backbone("xlm-roberta-base", "XLM-RoBERTa base", 278, "About 100 languages",
             "Multilingual: texts in languages other than English, or in several at once."),
    Backbone("google/electra-base-discriminator", "ELECTRA base", 110, "English",
             "Pretrained to spot replaced tokens: accurate classification for its size."),
)


def catalogue_entry(name: str) -> Backbone | None:
    """The catalogue's entry for a `backbone.name`, or None for any other id or folder."""
    return next((entry for entry in CATALOGUE if entry.name == name.strip()), None)
