"""Files the builders refuse: each gets our sentence naming the file (and line), never the library's words."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.core.test_data import write_csv
from workbench.core.data import load_raw
from workbench.core.errors import WorkbenchError

LIBRARY_WORDS = ("thrift", "magic bytes", "DataFrame constructor", "Error tokenizing", "C error", "Trailing data",
                 "__filename", "Expecting", "Unexpected character", "JSON parse error")


def refusal(path: Path) -> str:
    with pytest.raises(WorkbenchError) as raised:
        load_raw(str(path))
    message = str(raised.value)
    assert str(path) in message
    assert not [words for words in LIBRARY_WORDS if words in message], message
    return message


def write_parquet(path: Path) -> bytes:
    pq.write_table(pa.table({"text": [f"row {i}" for i in range(200)], "label": [i % 2 for i in range(200)]}), path)
    return path.read_bytes()


def test_truncated_parquet(tmp_path):
    whole = write_parquet(tmp_path / "whole.parquet")
    (tmp_path / "cut.parquet").write_bytes(whole[: len(whole) // 2])
    assert refusal(tmp_path / "cut.parquet") == (
        f"{tmp_path / 'cut.parquet'} is not a complete Parquet file (it is cut short or damaged); write it again from its source.")


def test_parquet_with_a_damaged_footer(tmp_path):
    whole = write_parquet(tmp_path / "whole.parquet")
    footer = int.from_bytes(whole[-8:-4], "little")
    metadata = whole[len(whole) - 8 - footer: -8][: footer // 2]  # the footer's metadata cut in half
    (tmp_path / "bad.parquet").write_bytes(whole[: len(whole) - 8 - footer] + metadata + len(metadata).to_bytes(4, "little") + b"PAR1")
    with pytest.raises(OSError, match="Couldn't deserialize thrift: No more data to read"):
        pq.read_metadata(tmp_path / "bad.parquet")
    assert "is not a complete Parquet file" in refusal(tmp_path / "bad.parquet")


def test_csv_row_with_too_many_fields_names_line_42(tmp_path):
    path = write_csv(tmp_path / "wide.csv", [(f"row {i}", "a") for i in range(60)])
    lines = path.read_text().splitlines()
    lines[41] = "one,two,three,four,five"  # line 42 of the file
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert refusal(path) == (f"{path} line 42 has 5 fields where the header has 2; put quotes around fields that "
                             "hold the comma delimiter, or fix that line.")


def test_semicolon_csv_names_its_delimiter(tmp_path):
    path = write_csv(tmp_path / "semi.csv", [("a b", "x"), ("c d", "y")] * 5, delimiter=";")
    path.write_text(path.read_text() + "e;f;g\n", encoding="utf-8")
    assert "line 12 has 3 fields where the header has 2; put quotes around fields that hold the semicolon" in refusal(path)


def test_csv_quote_never_closed(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('text,label\nfine,a\nok,b\n"this never ends,a\nmore,b\n', encoding="utf-8")
    assert refusal(path) == f"{path} line 4 opens a quote that is never closed; close it or remove that quote character."


SINGLE = "not records; write a list of objects, or one object per line (JSON Lines)."


@pytest.mark.parametrize("name, content, sentence", [
    ("value.json", "42", f"holds a single JSON value (a number), {SINGLE}"),
    ("value.json", '"hello"', f"holds a single JSON value (a string), {SINGLE}"),
    ("value.json", "true", f"holds a single JSON value (true or false), {SINGLE}"),
    ("rows.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "label": 0} extra\n{"text": "c", "label": 1}\n',
     "line 2 is not one complete JSON object; JSON Lines needs each row's object on a line of its own."),  # "Trailing data"
    ("two.json", json.dumps([{"text": "a", "label": 1}], indent=2) + "\n" + json.dumps([{"text": "b", "label": 0}], indent=2),
     "has more JSON after its first value ends, at line 7; a .json file holds one list of objects, or one object "
     "per line (JSON Lines)."),
    ("broken.json", '[\n  {"text": "a", "label": 1},\n  {"text": "b" "label": 0}\n]\n',
     "is not valid JSON at line 3, column 16; check the brackets, commas and quotes there."),
    ("rows.jsonl", '{"text": "a", "label": 1}\n[1, 2]\n', "line 2 holds a list, not an object with a row's fields."),
    ("dup.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "label": 0, "text": "c"}\n',
     "line 2 has the field 'text' twice; rename one of them."),
])
def test_json_refusals_name_the_file_and_line(tmp_path, name, content, sentence):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert refusal(path) == f"{path} {sentence}"


@pytest.mark.parametrize("name, delimiter", [("dup.csv", ","), ("dup.tsv", "\t")])
def test_duplicate_header_names_both_positions(tmp_path, name, delimiter):
    path = write_csv(tmp_path / name, [("a", "b", "c")] * 4, header=("text", "label", "text"), delimiter=delimiter)
    assert refusal(path) == (f"The file {path} has the column 'text' twice, at positions 1 and 3; rename one of them.")


def test_duplicate_parquet_column(tmp_path):
    path = tmp_path / "dup.parquet"
    pq.write_table(pa.table([pa.array(["a", "b"]), pa.array(["x", "y"]), pa.array([0, 1])],
                            names=["text", "label", "label"]), path)
    assert refusal(path) == f"The file {path} has the column 'label' twice, at positions 2 and 3; rename one of them."


@pytest.mark.parametrize("content", [
    '[{"text": "a", "label": 1, "text": "z"}, {"text": "b", "label": 0, "text": "y"}]',
    '{"data": [\n {"text": "a", "label": 1, "text": "z"}\n]}',
])
def test_duplicate_field_in_a_json_list_is_refused_not_overwritten(tmp_path, content):
    path = tmp_path / "dup.json"
    path.write_text(content, encoding="utf-8")
    assert refusal(path) == f"The file {path} has the column 'text' twice, at positions 1 and 3; rename one of them."


def test_the_bad_file_among_a_splits_files_is_named(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    write_csv(folder / "train_a.csv")
    bad = write_csv(folder / "train_b.csv")
    bad.write_text(bad.read_text() + "x,y,z\n", encoding="utf-8")
    with pytest.raises(WorkbenchError, match=rf"^{bad} line 22 has 3 fields where the header has 2"):
        load_raw(str(folder))


def test_damaged_saved_dataset_folder(tmp_path):
    folder = tmp_path / "saved"
    datasets.Dataset.from_dict({"text": ["a", "b"], "label": [0, 1]}).save_to_disk(str(folder))
    for arrow in folder.glob("*.arrow"):
        arrow.write_bytes(b"not arrow")
    message = refusal(folder)
    assert message == (f"The saved dataset folder {folder} could not be read (a file in it is missing or damaged); "
                       "save the dataset again with save_to_disk.")


def test_the_library_message_stays_in_the_log(tmp_path, caplog):
    path = tmp_path / "value.json"
    path.write_text("42", encoding="utf-8")
    with caplog.at_level("INFO", logger="workbench.core.data.formats"):
        refusal(path)
    assert any(record.exc_info for record in caplog.records)
