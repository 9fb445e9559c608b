"""Text encodings of data files: written here in each encoding, read back as the same text."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import datasets
import pytest

from tests.core.test_data import digest
from workbench.core.config import DataConfig
from workbench.core.data import load_raw, prepare
from workbench.core.data.charsets import as_utf8
from workbench.core.errors import WorkbenchError

FRENCH = [("Le café était très bon", "positif"), ("J'ai été déçu – vraiment", "négatif"),
          ("À bientôt, l'équipe « merci »", "positif"), ("Ça coûte 5 € de trop", "négatif")] * 6
RUSSIAN = [("Доставка пришла вовремя, спасибо", "хорошо"), ("Ужасное обслуживание и долгое ожидание", "плохо")] * 8
POLISH = [("Zażółć gęślą jaźń, bardzo ładnie", "dobrze"), ("Łódź jest piękna, ale pociąg się spóźnił", "źle")] * 8


def delimited(rows, delimiter: str = ",", header=("text", "label")) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")  # as Excel writes them
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def cache_copies() -> set[Path]:
    folder = Path(datasets.config.HF_DATASETS_CACHE) / "workbench-utf8"
    return set(folder.iterdir()) if folder.exists() else set()


@pytest.mark.parametrize("rows, codec, name", [
    (FRENCH, "cp1252", "Windows-1252"), (RUSSIAN, "cp1251", "Windows-1251"), (POLISH, "cp1250", "Windows-1250"),
])
def test_excel_csv_in_a_windows_code_page_reads_as_the_same_text(tmp_path, rows, codec, name):
    path = tmp_path / "export.csv"
    path.write_bytes(delimited(rows).encode(codec))
    before = digest(path)
    raw = load_raw(str(path))
    assert raw["train"]["text"][:4] == [text for text, _ in rows[:4]]
    assert raw["train"]["label"][:2] == [label for _, label in rows[:2]]
    assert raw.encodings == {"train": {str(path): name}} and raw.read_as("train") == f"read as {name}"
    assert digest(path) == before and [p.name for p in tmp_path.iterdir()] == ["export.csv"]  # no copy beside it


def test_excel_unicode_text_is_tab_separated_utf16_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "export.txt"
    path.write_bytes(delimited(FRENCH + RUSSIAN, "\t").encode("utf-16"))  # BOM + UTF-16LE, as Excel writes it
    assert path.read_bytes()[:2] == b"\xff\xfe"
    raw = load_raw(str(path))
    assert raw["train"].column_names == ["text", "label"]
    assert raw["train"]["text"][:] == [text for text, _ in FRENCH + RUSSIAN]
    assert raw.read_as("train") == "read as UTF-16"


def test_big_endian_utf16_reads_too(tmp_path):
    path = tmp_path / "be.tsv"
    path.write_bytes(b"\xfe\xff" + delimited(POLISH, "\t").encode("utf-16-be"))
    assert load_raw(str(path))["train"]["text"][0] == POLISH[0][0]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_bom_is_read_in_place(tmp_path, bom):
    path = tmp_path / "utf8.csv"
    path.write_bytes(bom + delimited(FRENCH).encode("utf-8"))
    copies = cache_copies()
    raw = load_raw(str(path))
    assert raw["train"].column_names == ["text", "label"] and raw["train"]["text"][0] == FRENCH[0][0]
    assert raw.read_as("train") == "read as UTF-8"
    assert as_utf8(path).path == path and cache_copies() == copies  # no copy for UTF-8


def test_json_lines_and_json_list_in_other_encodings(tmp_path):
    records = [{"text": text, "label": label} for text, label in FRENCH]
    (tmp_path / "rows.jsonl").write_bytes("\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode("cp1252"))
    (tmp_path / "list.json").write_bytes(json.dumps(records, ensure_ascii=False, indent=2).encode("utf-16"))
    for name, encoding in (("rows.jsonl", "Windows-1252"), ("list.json", "UTF-16")):
        raw = load_raw(str(tmp_path / name))
        assert raw["train"][2] == records[2], name
        assert raw.read_as("train") == f"read as {encoding}"


def test_conll_in_windows_1252_and_its_errors_name_the_input_file(tmp_path):
    path = tmp_path / "ner.conll"
    lines = ["Müller B-PER", "besucht O", "München B-LOC", "", "Zoë B-PER", "lächelt O", ""]
    path.write_bytes("\n".join(lines).encode("cp1252"))
    train = load_raw(str(path))["train"]
    assert train[0] == {"tokens": ["Müller", "besucht", "München"], "tags": ["B-PER", "O", "B-LOC"]}
    path.write_bytes("\n".join(lines[:5] + ["lächelt"] + lines[6:]).encode("cp1252"))
    with pytest.raises(WorkbenchError) as raised:
        load_raw(str(path))
    assert str(raised.value).startswith(f"{path} line 6 has a token but no tag")


def test_a_folder_reports_each_split_files_encoding(tmp_path):
    (tmp_path / "train.csv").write_bytes(delimited(FRENCH).encode("cp1252"))
    (tmp_path / "test.csv").write_bytes(delimited(FRENCH).encode("utf-8"))
    raw = load_raw(str(tmp_path))
    assert raw.read_as("train") == "read as Windows-1252" and raw.read_as("test") == "read as UTF-8"
    data = prepare(DataConfig(source=str(tmp_path)), "single_label")
    assert data.encoding_notes() == [f"Read {tmp_path / 'train.csv'} as Windows-1252."]


def test_the_utf8_copy_is_made_once_and_again_when_the_file_changes(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(delimited(FRENCH).encode("cp1252"))
    first = as_utf8(path).path
    made = first.stat().st_mtime_ns
    assert as_utf8(path).path == first and first.stat().st_mtime_ns == made
    assert first.read_bytes() == delimited(FRENCH).encode("utf-8")
    path.write_bytes(delimited(FRENCH[:4]).encode("cp1252"))
    os.utime(path, ns=(made + 10**9, made + 10**9))
    assert as_utf8(path).path != first and len(load_raw(str(path))["train"]) == 4


def test_utf8_broken_after_the_sampled_head_names_the_byte_and_line(tmp_path):
    path = tmp_path / "long.csv"
    body = delimited([(f"café crème {i}", "a") for i in range(50_000)]).encode("utf-8")
    path.write_bytes(body + "naïve,b\r\n".encode("cp1252"))  # the bad byte lies ~1 MB past the head
    with pytest.raises(WorkbenchError, match=r"long\.csv reads as UTF-8 text except line 50002, which has the byte 0xef"):
        load_raw(str(path))


def test_ascii_head_then_utf8_with_one_foreign_byte_is_not_taken_for_a_code_page(tmp_path):
    path = tmp_path / "mixed.csv"
    rows = [(f"plain row {i}", "a") for i in range(3000)] + [("caf\x00", "b")] + [(f"über größe {i}", "c") for i in range(3000)]
    text = delimited(rows).encode("utf-8").replace(b"caf\x00", "café".encode("cp1252"))
    path.write_bytes(text)
    with pytest.raises(WorkbenchError, match=r"mixed\.csv reads as UTF-8 text except line 3002, which has the byte 0xe9"):
        load_raw(str(path))


def test_a_byte_the_code_page_lacks_past_the_samples_names_the_line(tmp_path):
    path = tmp_path / "big.csv"
    rows = [(f"Le café était très bon {i}", "positif") for i in range(60_000)]
    rows[57_000] = ("un octet \x81 perdu", "négatif")  # 0x81 is not in Windows-1252, and far from the samples
    path.write_bytes(delimited(rows).encode("latin-1"))
    with pytest.raises(WorkbenchError, match=r"big\.csv reads as Windows-1252 text except line 57002, which has the byte 0x81"):
        load_raw(str(path))
    assert not any(p.name.endswith(".tmp") for p in cache_copies())


def test_a_file_no_encoding_fits_names_the_byte_and_line(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"text,label\n" + bytes(range(256)) * 40)
    with pytest.raises(WorkbenchError) as raised:
        load_raw(str(path))
    assert str(raised.value) == (f"{path} is not text in UTF-8, UTF-16 or a Windows encoding (line 3 has the byte 0x80); "
                                 "save it as UTF-8 text and load it again.")
