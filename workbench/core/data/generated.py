"""Datasets built by our own readers (CoNLL, SQuAD): Arrow-backed through `Dataset.from_generator`,
cached by a fingerprint of the files, with the reader's own error sentences kept."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import datasets

from workbench.core.errors import WorkbenchError


def files_fingerprint(kind: str, paths: list[str]) -> str:
    """A cache key from the files' paths, sizes and modification times: a changed file is read again."""
    digest = hashlib.sha256()
    for path in paths:
        stat = os.stat(path)
        digest.update(f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return f"{kind}-" + digest.hexdigest()[:32]


def generate(kind: str, rows: Callable, features: datasets.Features, paths: list[str], shown: list[str]) -> datasets.Dataset:
    """`rows(paths, shown)` streamed into a Dataset; a `WorkbenchError` the reader raised comes out as
    itself, not wrapped in the builder's DatasetGenerationError."""
    try:
        return datasets.Dataset.from_generator(rows, features=features, gen_kwargs={"paths": paths, "shown": shown},
                                               fingerprint=files_fingerprint(kind, paths))
    except datasets.exceptions.DatasetGenerationError as exc:
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, WorkbenchError):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            raise cause from None
        raise
