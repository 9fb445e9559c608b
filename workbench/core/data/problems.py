"""Our own sentence for a data file that a `datasets` builder refused.

The builders fail in their libraries' words ("Error tokenizing data. C error: ...", "Trailing data at
position 46", "Couldn't deserialize thrift: ..."). When one does, the file is read again here with
plain tools, only on that failure path, to find the line and the problem and say them in a sentence
naming the file; the library's exception stays chained (and in the log) for a bug report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

FORMAT_HINTS = {
    "csv": "comma-, semicolon-, tab- or |-separated text file with a header line",
    "json": "JSON file that holds a list of objects, or JSON Lines (one object per line)",
    "parquet": "Parquet file written completely",
    "conll": "CoNLL file with a token and a tag on each line",
    "squad": "SQuAD JSON file (data, paragraphs, context, qas)",
    "workbook": "Excel or OpenDocument workbook (.xlsx, .xlsm, .xls, .ods) saved completely",
}
_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "'|'"}
_JSON_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true or false",
               type(None): "null"}


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def problem(shown: Path, path: Path, fmt: str, delimiter: str | None) -> str | None:
    """What makes `path` (the UTF-8 text of `shown`, or `shown` itself) unreadable, as one sentence;
    None when nothing is found here."""
    if fmt == "csv":
        return _csv_problem(shown, path, delimiter or ",")
    if fmt == "json":
        return _json_problem(shown, path)
    if fmt == "parquet":
        return _parquet_problem(shown)
    return None


def _csv_problem(shown: Path, path: Path, delimiter: str) -> str | None:
    import pandas as pd

    try:
        for _ in pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, chunksize=100_000):
            pass
    except pd.errors.ParserError as exc:
        fields, quote = _FIELDS.search(str(exc)), _OPEN_QUOTE.search(str(exc))
        if fields:
            expected, line, saw = fields.groups()
            return (f"{shown} line {line} has {saw} fields where the header has {expected}; put quotes around "
                    f"fields that hold the {_DELIMITER_NAMES[delimiter]} delimiter, or fix that line.")
        if quote:
            return (f"{shown} line {int(quote.group(1)) + 1} opens a quote that is never closed; "
                    "close it or remove that quote character.")
    return None


def _parquet_problem(shown: Path) -> str | None:
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(shown)
    except Exception:  # pyarrow says OSError or ArrowInvalid, in Thrift's or Parquet's words
        return f"{shown} is not a complete Parquet file (it is cut short or damaged); write it again from its source."
    return None


def _json_problem(shown: Path, path: Path) -> str | None:
    """One JSON document (a list of records, or one record holding a list) or JSON Lines: the line
    that is not valid JSON, not an object, or repeats a field."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            content = json.load(handle, object_pairs_hook=_no_duplicates)
    except (_DuplicateKey, json.JSONDecodeError) as exc:
        if _first_line_is_json(path):
            return _json_lines_problem(shown, path)
        if isinstance(exc, _DuplicateKey):
            return f"{shown} has the field '{exc.key}' twice in one record; rename one of them."
        if exc.msg == "Extra data":
            return (f"{shown} has more JSON after its first value ends, at line {exc.lineno}; a .json file holds "
                    "one list of objects, or one object per line (JSON Lines).")
        return (f"{shown} is not valid JSON at line {exc.lineno}, column {exc.colno}; check the brackets, "
                "commas and quotes there.")
    if isinstance(content, list):
        odd = next((i for i, item in enumerate(content, start=1) if not isinstance(item, dict)), None)
        if odd is not None and any(isinstance(item, dict) for item in content):
            return f"Item {odd} of the list in {shown} is {_kind(content[odd - 1])}, not an object with a row's fields."
        return None
    if not isinstance(content, dict):
        return (f"{shown} holds a single JSON value ({_kind(content)}), not records; write a list of objects, "
                "or one object per line (JSON Lines).")
    return None


def _json_lines_problem(shown: Path, path: Path) -> str | None:
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line, object_pairs_hook=_no_duplicates)
            except _DuplicateKey as exc:
                return f"{shown} line {number} has the field '{exc.key}' twice; rename one of them."
            except json.JSONDecodeError:
                return (f"{shown} line {number} is not one complete JSON object; JSON Lines needs each row's "
                        "object on a line of its own.")
            if not isinstance(record, dict):
                return f"{shown} line {number} holds {_kind(record)}, not an object with a row's fields."
    return None


def _first_line_is_json(path: Path) -> bool:
    with open(path, encoding="utf-8-sig") as handle:
        first = next((line for line in handle if line.strip()), "")
    try:
        json.loads(first)
    except ValueError:
        return False
    return True


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _kind(value: object) -> str:
    return _JSON_KINDS.get(type(value), "a value")

