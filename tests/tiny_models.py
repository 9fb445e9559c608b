"""Tiny random BERTs for tests: a WordPiece vocab and a BertConfig written to a folder, in seconds."""

from __future__ import annotations

from pathlib import Path

from workbench.core.config import RunConfig

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = (
    "good great fine nice love happy bad awful poor hate sad terrible the a movie film plot actor "
    "story is was and but not very really so it this that of to in john mary paris london acme corp "
    "berlin smith visited works for met at . , ! ?"
).split()


def build_tiny_backbone(folder: Path, words: list[str] = WORDS, layers: int = 2, hidden: int = 32) -> Path:
    """A 2-layer BERT with random weights (safetensors) and a matching tokenizer, saved to `folder`."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = SPECIAL + sorted(set(words))
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab=str(folder / "vocab.txt"), do_lower_case=True)
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2,
        intermediate_size=hidden * 2, max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    return folder


def write_sentiment_csv(path: Path, rows: int = 120) -> Path:
    """A learnable two-class CSV in the tiny vocab: positive words -> 1, negative words -> 0."""
    import random

    rng = random.Random(0)
    good, bad = ["good", "great", "nice", "love", "happy"], ["bad", "awful", "poor", "hate", "terrible"]
    lines = ["text,label"]
    for i in range(rows):
        label = i % 2
        word = rng.choice(good if label else bad)
        lines.append(f"the movie was very {word} and the plot was {rng.choice(good if label else bad)},{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_three_class_csv(path: Path, rows: int = 120) -> Path:
    """A learnable three-class CSV in the tiny vocab: positive, negative and neutral words, a third each."""
    import random

    rng = random.Random(4)
    words = {"positive": ["good", "great", "nice", "love", "happy"], "negative": ["bad", "awful", "poor", "hate", "terrible"],
             "neutral": ["fine", "story", "actor", "plot", "film"]}
    names = list(words)
    lines = ["text,label"]
    for i in range(rows):
        label = names[i % 3]
        lines.append(f"the movie was very {rng.choice(words[label])} and it was {rng.choice(words[label])},{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_long_reviews_csv(path: Path, rows: int = 160, filler: int = 3) -> Path:
    """Two-class texts whose label lives only in their last sentence, after `filler` neutral sentences
    (about 6 tokens each): truncation to fewer tokens than the filler cuts the label off."""
    import random

    rng = random.Random(1)
    good, bad = ["good", "great", "nice", "love", "happy"], ["bad", "awful", "poor", "hate", "terrible"]
    neutral = ["the film is a story of john and mary .", "this movie was in paris and london .",
               "the actor met smith at the plot .", "it is the story of a film ."]
    lines = ["text,label"]
    for i in range(rows):
        label = i % 2
        opening = " ".join(rng.choice(neutral) for _ in range(filler))
        lines.append(f"{opening} it was really {rng.choice(good if label else bad)} .,{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_ner_conll(path: Path, sentences: int = 60) -> Path:
    import random

    rng = random.Random(0)
    people, places, orgs = ["john", "mary", "smith"], ["paris", "london", "berlin"], ["acme"]
    out = []
    for _ in range(sentences):
        out += [f"{rng.choice(people)} B-PER", "visited O", f"{rng.choice(places)} B-LOC", ". O", ""]
        out += [f"{rng.choice(people)} B-PER", "works O", "for O", f"{rng.choice(orgs)} B-ORG", "corp I-ORG", ""]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def tiny_run_config(folder, backbone_dir, max_steps: int = 12) -> RunConfig:
    """Trains the tiny BERT on a learnable two-class CSV for `max_steps` steps, evaluating every 6."""
    config = RunConfig()
    config.data.source = str(write_sentiment_csv(folder / "sentiment.csv"))
    config.backbone.name = str(backbone_dir)
    config.task.max_length = 32
    config.training.batch_size = 8
    config.training.max_steps = max_steps
    config.training.eval_strategy = "steps"
    config.training.eval_steps = 6
    config.training.logging_steps = 2
    config.training.learning_rate = 1e-3
    config.training.precision = "fp32"
    config.training.dropout_masks = "fast"  # the same path on every machine (auto measures)
    config.output.runs_root = str(folder / "runs")
    return config


def write_pair_csv(path: Path, rows: int = 120) -> Path:
    """Sentence pairs in the tiny vocab: label 1 when both sentences have the same sentiment."""
    import random

    rng = random.Random(1)
    good, bad = ["good", "great", "nice", "love", "happy"], ["bad", "awful", "poor", "hate", "terrible"]
    lines = ["premise,hypothesis,label"]
    for i in range(rows):
        first, same = rng.random() < 0.5, i % 2
        second = first if same else not first
        lines.append(f"the movie was {rng.choice(good if first else bad)},the plot was {rng.choice(good if second else bad)},{same}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_multi_label_csv(path: Path, rows: int = 120) -> Path:
    """Labels `plot` and `acting` (either, both or none), each signalled by its own words."""
    import random

    rng = random.Random(2)
    lines = ["text,label"]
    for _ in range(rows):
        plot, acting = rng.random() < 0.5, rng.random() < 0.5
        words = ["the", "plot" if plot else "film", "was", "good", "and", "the", "actor" if acting else "story", "was", "bad"]
        lines.append(f"{' '.join(words)},{'|'.join(name for name, on in (('plot', plot), ('acting', acting)) if on)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_squad_json(path: Path, paragraphs: int = 40, unanswerable: bool = False) -> Path:
    """SQuAD-format questions in the tiny vocab: who visited a place, and who works for acme, in either
    order among filler sentences; with
    `unanswerable` (SQuAD v2.0) also who visited berlin, which no context says."""
    import json
    import random

    rng = random.Random(3)
    people, places = ["john", "mary", "smith"], ["paris", "london"]
    articles = []
    for p in range(paragraphs):
        visitor, worker = rng.sample(people, 2)
        place = rng.choice(places)
        sentences = [f"{visitor} visited {place} .", f"{worker} works for acme corp ."]
        rng.shuffle(sentences)  # with filler between, so that answers are read, not counted
        context = " ".join(s for sentence in sentences for s in ["the plot was great ."] * rng.randint(0, 3) + [sentence])
        qas = [
            {"id": f"{p}-v", "question": f"who visited {place} ?",
             "answers": [{"text": visitor, "answer_start": context.index(visitor)}]},
            {"id": f"{p}-w", "question": "who works for acme ?",
             "answers": [{"text": worker, "answer_start": context.index(f"{worker} works")}]},
        ]
        if unanswerable:
            qas.append({"id": f"{p}-n", "question": "who visited berlin ?", "answers": [], "is_impossible": True})
        articles.append({"title": f"t{p}", "paragraphs": [{"context": context, "qas": qas}]})
    path.write_text(json.dumps({"version": "v2.0" if unanswerable else "1.1", "data": articles}), encoding="utf-8")
    return path


def finished_run(config: RunConfig) -> Path:
    """Train `config` and give its run folder; the run must finish."""
    from workbench.core.events import RunFinished
    from workbench.core.training.run import train

    result = train(config)
    assert isinstance(result, RunFinished), result
    return Path(result.run_dir)


def tiny_task_config(folder: Path, backbone_dir: Path, task: str, max_steps: int = 24) -> RunConfig:
    """`tiny_run_config` for any task: single_label, pair, multi_label, token or qa."""
    folder.mkdir(parents=True, exist_ok=True)
    config = tiny_run_config(folder, backbone_dir, max_steps)
    config.task.type = task
    if task == "pair":
        config.data.source = str(write_pair_csv(folder / "pairs.csv"))
        config.data.text_column, config.data.text_pair_column = "premise", "hypothesis"
    elif task == "multi_label":
        config.data.source = str(write_multi_label_csv(folder / "multi.csv"))
        config.data.label_delimiter = "|"
    elif task == "token":
        config.data.source = str(write_ner_conll(folder / "ner.conll"))
    elif task == "qa":
        config.data.source = str(write_squad_json(folder / "squad.json"))
    return config


FAMILIES = ("bert", "roberta", "electra", "xlm-roberta", "distilbert", "deberta-v2", "modernbert")


def tiny_family_config(family: str, vocab_size: int, hidden: int = 32, layers: int = 2):
    """A tiny config of one encoder family (its model_type), with the ids of the BERT WordPiece vocab
    ([PAD] 0, [CLS] 2, [SEP] 3) and the family's own layout otherwise: RoBERTa's single segment type,
    ELECTRA's narrower embeddings, DeBERTa-v3's relative attention without absolute positions or
    segments, ModernBERT's alternating local and global attention."""
    import transformers as tf

    common = dict(vocab_size=vocab_size, max_position_embeddings=64, pad_token_id=0)
    bert_like = dict(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2, intermediate_size=hidden * 2)
    if family == "bert":
        return tf.BertConfig(**common, **bert_like)
    if family in ("roberta", "xlm-roberta"):
        cls = tf.RobertaConfig if family == "roberta" else tf.XLMRobertaConfig
        return cls(**common, **bert_like, type_vocab_size=1, bos_token_id=2, eos_token_id=3)
    if family == "electra":
        return tf.ElectraConfig(**common, **bert_like, embedding_size=hidden // 2)
    if family == "distilbert":
        return tf.DistilBertConfig(**common, dim=hidden, n_layers=layers, n_heads=2, hidden_dim=hidden * 2)
    if family == "deberta-v2":
        return tf.DebertaV2Config(**common, **bert_like, type_vocab_size=0, relative_attention=True,
                                  pos_att_type=["p2c", "c2p"], position_biased_input=False, position_buckets=16,
                                  norm_rel_ebd="layer_norm", share_att_key=True, max_relative_positions=-1)
    if family == "modernbert":
        return tf.ModernBertConfig(**common, **bert_like, bos_token_id=2, eos_token_id=3, cls_token_id=2,
                                   sep_token_id=3, local_attention=8, global_attn_every_n_layers=2)
    raise ValueError(family)


def build_tiny_family(folder: Path, family: str, words: list[str] = WORDS, layers: int = 2, hidden: int = 32) -> Path:
    """`build_tiny_backbone` for any family in FAMILIES: random weights, the tiny WordPiece tokenizer."""
    import torch
    from transformers import AutoModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = SPECIAL + sorted(set(words))
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab=str(folder / "vocab.txt"), do_lower_case=True).save_pretrained(folder)
    torch.manual_seed(0)
    AutoModel.from_config(tiny_family_config(family, len(vocab), hidden, layers)).save_pretrained(folder)
    return folder
