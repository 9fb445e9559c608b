"""CoNLL reader: one token per line, tag in the last field, blank lines between sentences.

The file is streamed sentence by sentence into an Arrow-backed `datasets.Dataset` (cached by a
fingerprint of the paths, sizes and modification times), so a big file never sits in Python lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import datasets

from workbench.core.data.generated import generate
from workbench.core.errors import WorkbenchError

FEATURES = datasets.Features(
    {"tokens": datasets.List(datasets.Value("string")), "tags": datasets.List(datasets.Value("string"))}
)
DOCSTART = "-DOCSTART-"


def looks_like_conll(sample: str) -> bool:
    """Whether a text sample (whole lines) reads as CoNLL: every non-blank line has a token and a
    tag, and blank lines separate sentences."""
    lines = [line for line in sample.splitlines() if not line.startswith(DOCSTART)]
    filled = [line for line in lines if line.strip()]
    return len(filled) < len(lines) and bool(filled) and all(len(line.split()) >= 2 for line in filled)


def _sentences(paths: list[str], shown: list[str]) -> Iterator[dict[str, list[str]]]:
    for path, name in zip(paths, shown):
        tokens: list[str] = []
        tags: list[str] = []
        with open(path, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                fields = line.split()
                if not fields:
                    if tokens:
                        yield {"tokens": tokens, "tags": tags}
                        tokens, tags = [], []
                    continue
                if fields[0] == DOCSTART:
                    continue
                if len(fields) < 2:
                    raise WorkbenchError(
                        f"{name} line {number} has a token but no tag ({line.strip()!r}); "
                        "each line needs a token and a tag separated by whitespace."
                    )
                tokens.append(fields[0])
                tags.append(fields[-1])
        if tokens:
            yield {"tokens": tokens, "tags": tags}


def read_conll(files: list[Path], shown: list[str]) -> datasets.Dataset:
    """One row per sentence with columns `tokens` and `tags` (first and last field of each line) from
    UTF-8 files; `-DOCSTART-` lines are skipped and a line with a single field is reported with its
    number and the file's name in `shown`."""
    return generate("conll", _sentences, FEATURES, [str(path) for path in files], shown)
