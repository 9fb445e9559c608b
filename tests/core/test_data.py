"""Data loading and preparation on real files written to tmp_path."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import time
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from transformers import AutoTokenizer

from workbench.core.config import DataConfig
from workbench.core.data import (
    PreparedData,
    guess_task,
    is_hub_id,
    load_raw,
    prepare,
    token_length_stats,
)
from workbench.core.errors import WorkbenchError

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"
ROWS = [("I was charged twice", "billing"), ("the app crashes on login", "technical"),
        ("my package is late", "shipping"), ("reset my password please", "account")] * 5


def write_csv(path: Path, rows=ROWS, header=("text", "label"), delimiter: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_conll(path: Path, sentences: list[list[tuple[str, str]]], docstart: bool = True) -> Path:
    lines = ["-DOCSTART- O", ""] if docstart else []
    for sentence in sentences:
        lines += [f"{token} {tag}" for token, tag in sentence] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


SENTENCES = [
    [("John", "B-PER"), ("Smith", "I-PER"), ("visited", "O"), ("Paris", "B-LOC"), (".", "O")],
    [("Acme", "B-ORG"), ("Corp", "I-ORG"), ("hired", "O"), ("Mary", "B-PER")],
    [("The", "O"), ("German", "B-MISC"), ("team", "O"), ("won", "O")],
] * 4


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- loaders ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name, delimiter", [("data.csv", ","), ("semi.csv", ";"), ("data.tsv", "\t"), ("data.txt", "|")])
def test_delimited_files_load_with_sniffed_delimiter(tmp_path, name, delimiter):
    rows = [("hello, world; it works", "a"), ("second row", "b")] * 3
    path = write_csv(tmp_path / name, rows, delimiter=delimiter)
    raw = load_raw(str(path))
    assert list(raw) == ["train"]
    assert raw["train"].column_names == ["text", "label"]
    assert raw["train"][0] == {"text": "hello, world; it works", "label": "a"}
    assert len(raw["train"]) == 6


def test_json_list_object_with_field_and_jsonl_load(tmp_path):
    records = [{"text": f"row {i}", "label": i % 2} for i in range(5)]
    (tmp_path / "list.json").write_text(json.dumps(records, indent=2), encoding="utf-8")
    (tmp_path / "field.json").write_text(json.dumps({"data": records}, indent=2), encoding="utf-8")
    (tmp_path / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    for name in ("list.json", "field.json", "rows.jsonl"):
        train = load_raw(str(tmp_path / name))["train"]
        assert sorted(train.column_names) == ["label", "text"], name
        assert len(train) == 5 and train[4] == {"text": "row 4", "label": 0}, name


def test_parquet_loads(tmp_path):
    pq.write_table(pa.table({"text": ["a b", "c d", "e f"], "label": [0, 1, 0]}), tmp_path / "d.parquet")
    train = load_raw(str(tmp_path / "d.parquet"))["train"]
    assert train.column_names == ["text", "label"] and train["label"][:] == [0, 1, 0]


def test_conll_loads_tokens_and_tags(tmp_path):
    path = write_conll(tmp_path / "ner.conll", SENTENCES[:3])
    path.write_text(path.read_text().replace("Paris B-LOC", "Paris NNP B-NP B-LOC"), encoding="utf-8")
    train = load_raw(str(path))["train"]
    assert train.column_names == ["tokens", "tags"] and len(train) == 3
    assert train[0] == {"tokens": ["John", "Smith", "visited", "Paris", "."], "tags": ["B-PER", "I-PER", "O", "B-LOC", "O"]}


def test_txt_in_conll_layout_is_read_as_conll(tmp_path):
    path = write_conll(tmp_path / "ner.txt", SENTENCES[:3], docstart=False)
    assert load_raw(str(path))["train"].column_names == ["tokens", "tags"]


def test_save_to_disk_folder_loads_and_normalises_split_names(tmp_path):
    saved = datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"text": ["a", "b"], "label": [0, 1]}),
        "dev": datasets.Dataset.from_dict({"text": ["c"], "label": [1]}),
    })
    saved.save_to_disk(str(tmp_path / "saved"))
    raw = load_raw(str(tmp_path / "saved"))
    assert list(raw) == ["train", "validation"] and len(raw["validation"]) == 1
    datasets.Dataset.from_dict({"text": ["x"], "label": [0]}).save_to_disk(str(tmp_path / "single"))
    assert list(load_raw(str(tmp_path / "single"))) == ["train"]


def test_split_files_folder_loads(tmp_path):
    folder = tmp_path / "rt"
    folder.mkdir()
    write_csv(folder / "train.csv")
    write_csv(folder / "valid.csv", ROWS[:4])
    write_csv(folder / "test.csv", ROWS[:8])
    (folder / "notes.md").write_text("ignored", encoding="utf-8")
    raw = load_raw(str(folder))
    assert {split: len(ds) for split, ds in raw.items()} == {"train": 20, "validation": 4, "test": 8}
    conll = tmp_path / "conll"
    conll.mkdir()
    write_conll(conll / "train.conll", SENTENCES)
    write_conll(conll / "dev.conll", SENTENCES[:3])
    assert {split: len(ds) for split, ds in load_raw(str(conll)).items()} == {"train": 12, "validation": 3}


def test_loading_leaves_input_bytes_unchanged(tmp_path):
    files = [write_csv(tmp_path / "a.csv"), write_conll(tmp_path / "b.conll", SENTENCES)]
    before = [digest(path) for path in files]
    for path in files:
        load_raw(str(path))
    prepare(DataConfig(source=str(files[0])), "single_label")
    assert [digest(path) for path in files] == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.conll"]


# ---- bad inputs --------------------------------------------------------------------------------


def test_missing_source(tmp_path):
    with pytest.raises(WorkbenchError, match="does not exist"):
        load_raw(str(tmp_path / "nope.csv"))


def test_empty_file(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(WorkbenchError, match=r"empty\.csv is empty"):
        load_raw(str(tmp_path / "empty.csv"))


def test_header_only_file(tmp_path):
    (tmp_path / "head.csv").write_text("text,label\n", encoding="utf-8")
    with pytest.raises(WorkbenchError, match=r"head\.csv has no data rows"):
        load_raw(str(tmp_path / "head.csv"))


def test_utf8_with_a_foreign_byte_names_the_line(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\nfine,a\ncaf\u00e9 ok,b\n".encode("utf-8") + "na\u00efve,a\n".encode("latin-1"))
    with pytest.raises(WorkbenchError, match=r"latin\.csv reads as UTF-8 text except line 4, which has the byte 0xef"):
        load_raw(str(path))


def test_utf8_split_across_read_chunks_is_fine(tmp_path):
    path = tmp_path / "long.csv"
    body = "text,label\n" + "".join(f"caf\u00e9 \u00fcber row {i},a\n" for i in range(40000))
    path.write_text(body, encoding="utf-8")  # > 1 MiB, so multi-byte characters straddle chunks
    assert len(load_raw(str(path))["train"]) == 40000


def test_unsupported_extension(tmp_path):
    (tmp_path / "data.docx").write_bytes(b"PK\x03\x04")
    with pytest.raises(WorkbenchError, match=r"data\.docx has an unsupported extension '\.docx'"):
        load_raw(str(tmp_path / "data.docx"))


def test_ragged_conll_line_names_file_and_line(tmp_path):
    path = write_conll(tmp_path / "bad.conll", SENTENCES[:2])
    lines = path.read_text().splitlines()
    lines[4] = "orphan"  # line 5 of the file
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(WorkbenchError, match=r"bad\.conll line 5 has a token but no tag"):
        load_raw(str(path))


def test_folder_without_split_files(tmp_path):
    write_csv(tmp_path / "data.csv")
    with pytest.raises(WorkbenchError, match="has no training file"):
        load_raw(str(tmp_path))


def test_missing_column_suggests_closest(tmp_path):
    path = write_csv(tmp_path / "d.csv")
    with pytest.raises(WorkbenchError) as info:
        prepare(DataConfig(source=str(path), label_column="lable"), "single_label")
    message = str(info.value)
    assert "no column 'lable'" in message and "did you mean 'label'" in message
    assert "d.csv" in message and "text, label" in message


def test_unknown_tag_scheme(tmp_path):
    path = write_conll(tmp_path / "pos.conll", [[("John", "NNP"), ("runs", "VBZ")], [("a", "DT"), ("b", "NN")]])
    with pytest.raises(WorkbenchError, match=r"pos\.conll has the tag '\w+' .*unknown tag scheme"):
        prepare(DataConfig(source=str(path)), "token")


def test_validation_label_unseen_in_training(tmp_path):
    write_csv(tmp_path / "train.csv")
    write_csv(tmp_path / "validation.csv", [("where is my refund", "refunds")] + ROWS[:3])
    with pytest.raises(WorkbenchError, match=r"validation split .* label 'refunds' in column 'label'"):
        prepare(DataConfig(source=str(tmp_path)), "single_label")


def test_fewer_than_two_classes(tmp_path):
    path = write_csv(tmp_path / "one.csv", [(f"text {i}", "billing") for i in range(10)])
    with pytest.raises(WorkbenchError, match=r"fewer than two classes in column 'label'"):
        prepare(DataConfig(source=str(path)), "single_label")


def test_empty_text_names_split_row_and_column(tmp_path):
    path = write_csv(tmp_path / "gap.csv", ROWS[:2] + [("   ", "billing")] + ROWS[2:])
    with pytest.raises(WorkbenchError, match=r"Row 3 of the train split of .*gap\.csv is empty in column 'text'"):
        prepare(DataConfig(source=str(path)), "single_label")


# ---- labels and splits ---------------------------------------------------------------------------


def test_string_labels_become_sorted_ids(tmp_path):
    data = prepare(DataConfig(source=str(write_csv(tmp_path / "d.csv"))), "single_label")
    assert data.label_names == ["account", "billing", "shipping", "technical"]
    assert data.splits["train"].column_names == ["text", "labels"]
    for row in data.splits["train"]:
        assert data.label_names[row["labels"]] == dict(ROWS)[row["text"]]
    assert sum(data.split_counts().values()) == 20


def test_int_labels_map_to_their_sorted_index(tmp_path):
    rows = [(f"row {i}", 1 + i % 3) for i in range(30)]
    data = prepare(DataConfig(source=str(write_csv(tmp_path / "d.csv", rows))), "single_label")
    assert data.label_names == ["1", "2", "3"]
    assert {row["text"]: row["labels"] for row in data.splits["train"]} == {
        text: label - 1 for text, label in rows if text in set(data.splits["train"]["text"])
    }


def test_classlabel_feature_keeps_its_names(tmp_path):
    features = datasets.Features(text=datasets.Value("string"), label=datasets.ClassLabel(names=["neg", "pos"]))
    saved = datasets.Dataset.from_dict({"text": [f"t{i}" for i in range(10)], "label": [i % 2 for i in range(10)]}, features)
    saved.save_to_disk(str(tmp_path / "s"))
    data = prepare(DataConfig(source=str(tmp_path / "s")), "single_label")
    assert data.label_names == ["neg", "pos"]
    assert data.label_counts()["train"]["neg"] + data.label_counts()["validation"]["neg"] == 5


def test_pair_task(tmp_path):
    rows = [(f"premise {i}", f"hypothesis {i}", ["yes", "no"][i % 2]) for i in range(20)]
    path = write_csv(tmp_path / "pairs.csv", rows, header=("premise", "hypothesis", "label"))
    data = prepare(DataConfig(source=str(path), text_column="premise", text_pair_column="hypothesis"), "pair")
    assert data.splits["train"].column_names == ["text", "text_pair", "labels"]
    row = data.splits["validation"][0]
    assert row["text"].replace("premise", "hypothesis") == row["text_pair"]


def test_multi_label_from_delimited_string(tmp_path):
    rows = [("late and charged", "shipping | billing"), ("app crash", "technical"), ("nothing", ""),
            ("crash and refund", "billing|technical")] * 5
    data = prepare(DataConfig(source=str(write_csv(tmp_path / "m.csv", rows))), "multi_label")
    assert data.label_names == ["billing", "shipping", "technical"]
    table = {row["text"]: row["labels"] for split in data.splits.values() for row in split}
    assert table == {"late and charged": [1.0, 1.0, 0.0], "app crash": [0.0, 0.0, 1.0], "nothing": [0.0, 0.0, 0.0],
                     "crash and refund": [1.0, 0.0, 1.0]}
    assert data.splits["train"].features["labels"].feature.dtype == "float32"
    counts = data.label_counts()
    assert counts["train"]["billing"] + counts["validation"]["billing"] == 10


def test_multi_label_from_list_column(tmp_path):
    records = [{"text": f"r{i}", "tags": [["a", "b"], ["c"], [2, 1]][i % 2]} for i in range(10)]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    data = prepare(DataConfig(source=str(tmp_path / "m.jsonl"), label_column="tags"), "multi_label")
    assert data.label_names == ["a", "b", "c"]
    assert data.splits["train"].features["labels"].length == 3
    assert all(sum(row["labels"]) in (1.0, 2.0) for row in data.splits["train"])


def test_stratified_carve_keeps_proportions_and_is_deterministic(tmp_path):
    rows = [(f"row {i}", "big" if i % 5 else "small") for i in range(500)]
    path = write_csv(tmp_path / "s.csv", rows)
    config = DataConfig(source=str(path), validation_fraction=0.2, split_seed=7)
    first, second = prepare(config, "single_label"), prepare(config, "single_label")
    assert first.label_counts()["validation"] == {"big": 80, "small": 20}
    assert first.label_counts()["train"] == {"big": 320, "small": 80}
    assert first.splits["validation"]["text"][:] == second.splits["validation"]["text"][:]
    other = prepare(DataConfig(source=str(path), validation_fraction=0.2, split_seed=8), "single_label")
    assert other.splits["validation"]["text"][:] != first.splits["validation"]["text"][:]


def test_max_train_rows_caps_train_after_the_carve(tmp_path):
    path = write_csv(tmp_path / "d.csv", [(f"row {i}", "ab"[i % 2]) for i in range(100)])
    data = prepare(DataConfig(source=str(path), max_train_rows=25), "single_label")
    assert data.split_counts() == {"train": 25, "validation": 10}
    assert not set(data.splits["train"]["text"][:]) & set(data.splits["validation"]["text"][:])


def test_token_task_from_conll(tmp_path):
    data = prepare(DataConfig(source=str(write_conll(tmp_path / "n.conll", SENTENCES))), "token")
    assert data.label_names == ["O", "B-LOC", "B-MISC", "B-ORG", "B-PER", "I-ORG", "I-PER"]
    assert data.splits["train"].column_names == ["tokens", "labels"]
    row = next(r for r in data.splits["train"] if r["tokens"][0] == "John")
    assert [data.label_names[i] for i in row["labels"]] == ["B-PER", "I-PER", "O", "B-LOC", "O"]
    counts = data.label_counts()
    assert counts["train"]["B-PER"] + counts["validation"]["B-PER"] == 8


def test_token_tag_unseen_in_training(tmp_path):
    write_conll(tmp_path / "train.conll", SENTENCES)
    write_conll(tmp_path / "dev.conll", [[("Rome", "B-GPE")], [("x", "O")]])
    with pytest.raises(WorkbenchError, match=r"validation split .* 'B-GPE' in column 'tags'"):
        prepare(DataConfig(source=str(tmp_path)), "token")


def test_guess_task(tmp_path):
    raw_token = load_raw(str(write_conll(tmp_path / "n.conll", SENTENCES)))
    assert guess_task(raw_token, "text", "label") == "token"
    raw_single = load_raw(str(write_csv(tmp_path / "s.csv")))
    assert guess_task(raw_single, "text", "label") == "single_label"
    raw_multi = load_raw(str(write_csv(tmp_path / "m.csv", [("x", "a|b"), ("y", "c")] * 5)))
    assert guess_task(raw_multi, "text", "label") == "multi_label"
    from tests.tiny_models import write_squad_json

    assert guess_task(load_raw(str(write_squad_json(tmp_path / "q.json", paragraphs=2))), "text", "label") == "qa"
    flat = write_csv(tmp_path / "qa.csv", [("who?", "mary came", "mary")], header=("question", "context", "answer"))
    assert guess_task(load_raw(str(flat)), "text", "label") == "qa"


# ---- Hub ids ---------------------------------------------------------------------------------------


def test_is_hub_id(tmp_path):
    assert is_hub_id("rotten_tomatoes") and is_hub_id("stanfordnlp/imdb")
    assert not is_hub_id("data.csv") and not is_hub_id("./folder") and not is_hub_id(str(tmp_path))
    assert not is_hub_id("a/b/c")


@pytest.mark.parametrize("offline_env", [True, False])
def test_hub_id_offline_fails_fast_naming_the_id(monkeypatch, offline_env):
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    if offline_env:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(WorkbenchError, match="'someone/no-such-dataset'.*Hugging Face Hub cannot be reached"):
        load_raw("someone/no-such-dataset")
    assert time.monotonic() - start < 5


# ---- token lengths ------------------------------------------------------------------------------


def test_token_length_stats_on_tiny_tokenizer(tiny_tokenizer_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    words = "the movie was very good".split()
    texts = [" ".join(words[: 1 + i % 5]) for i in range(40)]  # 1..5 words, 8 rows each
    train = datasets.Dataset.from_dict({"text": texts, "labels": [i % 2 for i in range(40)]})
    long = datasets.Dataset.from_dict({"text": [" ".join(["good"] * n) for n in (3, 30, 60)], "labels": [0, 1, 0]})
    data = PreparedData(datasets.DatasetDict(train=train, validation=long), "single_label", ["0", "1"], "mem")
    stats = token_length_stats(data, tokenizer, model_max=48)
    lengths = sorted(len(t.split()) + 2 for t in texts)  # every word is in the vocab; + [CLS] [SEP]
    assert stats.per_split["train"] == {"p50": lengths[19], "p95": lengths[37], "max": 7, "rows": 40}
    assert stats.per_split["validation"] == {"p50": 32, "p95": 62, "max": 62, "rows": 3}
    assert stats.suggested_max_length == 16  # p95 7 -> 8, raised to the floor of 16
    assert stats.suggested_max_length % 8 == 0
    assert stats.truncated_share("validation", 40) == pytest.approx(1 / 3)
    assert stats.truncated_share("train", 6) == pytest.approx(8 / 40)
    capped = token_length_stats(data.__class__(datasets.DatasetDict(train=long, validation=train), "single_label",
                                               ["0", "1"], "mem"), tokenizer, model_max=48)
    assert capped.suggested_max_length == 48
    sampled = token_length_stats(data, tokenizer, model_max=48, sample=10, seed=1)
    assert sampled.per_split["train"]["rows"] == 10 and sampled.per_split["validation"]["rows"] == 3


def test_token_length_stats_for_pairs_and_tokens(tiny_tokenizer_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    pairs = datasets.Dataset.from_dict({"text": ["the movie"] * 4, "text_pair": ["very good film"] * 4, "labels": [0, 1] * 2})
    stats = token_length_stats(PreparedData(datasets.DatasetDict(train=pairs), "pair", ["0", "1"], "m"), tokenizer, 64)
    assert stats.per_split["train"]["max"] == 2 + 3 + 3  # [CLS] a [SEP] b [SEP]
    tokens = datasets.Dataset.from_dict({"tokens": [["john", "visited", "paris"]] * 3, "labels": [[1, 0, 2]] * 3})
    stats = token_length_stats(PreparedData(datasets.DatasetDict(train=tokens), "token", ["O", "B-PER", "B-LOC"], "m"), tokenizer, 64)
    assert stats.per_split["train"]["p50"] == 5


# ---- shipped demo data ---------------------------------------------------------------------------


def test_demo_tickets_prepare():
    data = prepare(DataConfig(source=str(DEMO / "tickets.csv")), "single_label")
    assert data.label_names == ["account", "billing", "shipping", "technical"]
    assert sum(data.split_counts().values()) >= 360
    counts = data.label_counts()["validation"]
    assert min(counts.values()) >= 8


def test_demo_conll_prepares_as_token_task():
    data = prepare(DataConfig(source=str(DEMO / "ner_sample.conll")), "token")
    assert {name[2:] for name in data.label_names if name != "O"} == {"PER", "ORG", "LOC", "MISC"}
    assert math.isclose(sum(data.split_counts().values()), 150)
    assert np.all([len(r["tokens"]) == len(r["labels"]) for r in data.splits["train"]])


def test_loads_from_several_threads_at_once_all_succeed(tmp_path):
    """The Data page loads a file while a run started meanwhile loads it too (tqdm's shared lock)."""
    import shutil
    import threading

    from workbench.demo import DEMO_CSV

    errors = []

    def load(worker: int) -> None:
        for n in range(20):
            copy = tmp_path / f"tickets-{worker}-{n}.csv"  # a new file: each load builds, none hits the cache
            shutil.copy(DEMO_CSV, copy)
            try:
                assert len(load_raw(str(copy))["train"]) == 400
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                errors.append(exc)

    threads = [threading.Thread(target=load, args=(worker,)) for worker in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
