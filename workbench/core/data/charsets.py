"""The text encoding of a data file, and a UTF-8 copy of a file that is in another one.

UTF-8 files (with or without a byte-order mark) are read where they are, after one streaming check.
A UTF-16 file with a byte-order mark (Excel's "Unicode Text") or a file in a single-byte Windows
code page (Excel's "CSV" on Windows, found by `chardet` from a few samples of the file) is decoded
once into a UTF-8 copy in the datasets cache, keyed by the file's path, size and modification time;
the input file is never written.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError

UTF8 = "UTF-8"
_CHUNK = 1 << 20
_SAMPLE = 64 * 1024
_SAMPLES = 4  # chunks sampled after the first non-UTF-8 byte, spread over the rest of the file
_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_WINDOWS = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258")
_NAMES = {"utf-16-le": "UTF-16", "utf-16-be": "UTF-16", **{cp: f"Windows-{cp[2:]}" for cp in _WINDOWS}}


@dataclass(frozen=True)
class TextFile:
    """A data file ready to read as UTF-8: `path` is the file itself or its UTF-8 copy."""

    path: Path
    encoding: str  # what the original is in, as users read it: "UTF-8", "UTF-16", "Windows-1252"


@dataclass(frozen=True)
class _BadByte:
    offset: int
    line: int
    byte: int
    after_utf8: bool  # whether non-ASCII UTF-8 came before it


def as_utf8(path: Path) -> TextFile:
    """`path` as UTF-8 text: the file itself when it is UTF-8, else a cached UTF-8 copy."""
    with open(path, "rb") as handle:
        head = handle.read(_SAMPLE)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return _copy(path, codec, len(bom))
    bad = _first_non_utf8(path)
    if bad is None:
        return TextFile(path, UTF8)
    if bad.after_utf8 or _mostly_utf8(path, bad):
        raise _bad_byte(path, UTF8, bad.line, bad.byte)
    codec = _detect_windows(path, head, bad)
    if codec is None:
        raise WorkbenchError(
            f"{path} is not text in UTF-8, UTF-16 or a Windows encoding (line {bad.line} has the byte "
            f"0x{bad.byte:02x}); save it as UTF-8 text and load it again."
        )
    return _copy(path, codec, 0)


def _bad_byte(path: Path, encoding: str, line: int, byte: int) -> WorkbenchError:
    return WorkbenchError(
        f"{path} reads as {encoding} text except line {line}, which has the byte 0x{byte:02x} that {encoding} "
        "does not have; fix that line, or save the whole file as UTF-8, and load it again."
    )


def _first_non_utf8(path: Path) -> _BadByte | None:
    """Stream the file for its first byte that is not UTF-8 (None: it is all UTF-8)."""
    line, carry, seen_utf8 = 1, b"", False
    with open(path, "rb") as handle:
        offset = 0  # of `carry + chunk` in the file
        while True:
            chunk = handle.read(_CHUNK)
            data = carry + chunk
            carry = b""
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                truncated = exc.reason == "unexpected end of data" and exc.end == len(data)
                if not (chunk and truncated):
                    line += data.count(b"\n", 0, exc.start)
                    seen_utf8 = seen_utf8 or not data[: exc.start].isascii()
                    return _BadByte(offset + exc.start, line, data[exc.start], seen_utf8)
                data, carry = data[: exc.start], data[exc.start :]
            line += data.count(b"\n")
            seen_utf8 = seen_utf8 or not data.isascii()
            offset += len(data)
            if not chunk:
                return None


def _samples(path: Path, bad: _BadByte) -> list[bytes]:
    """About 64 KB from the line with the first non-UTF-8 byte, and from points spread after it."""
    size = path.stat().st_size
    starts = [bad.offset] + [bad.offset + (size - bad.offset) * i // (_SAMPLES + 1) for i in range(1, _SAMPLES + 1)]
    out = []
    with open(path, "rb") as handle:
        for start in sorted(set(starts)):
            handle.seek(max(start - 256, 0))
            out.append(handle.read(_SAMPLE))
    return out


def _mostly_utf8(path: Path, bad: _BadByte) -> bool:
    """Whether the text after an ASCII start is UTF-8 with a few bad bytes rather than another encoding:
    more well-formed multi-byte UTF-8 characters than bytes that are not UTF-8 in the samples."""
    text = "".join(sample.decode("utf-8", errors="replace") for sample in _samples(path, bad))
    bad_count = text.count("\ufffd")
    return sum(not ch.isascii() for ch in text) - bad_count > bad_count


def _detect_windows(path: Path, head: bytes, bad: _BadByte) -> str | None:
    """The Windows code page `chardet` finds in the head and samples of the file, if one fits."""
    import chardet

    sample = b"\n".join([head, *_samples(path, bad)])
    found = chardet.detect(sample, max_bytes=len(sample), include_encodings=_WINDOWS, prefer_superset=True,
                           compat_names=False, no_match_encoding="ascii")["encoding"]
    return found if found in _WINDOWS else None


def _copy(path: Path, codec: str, skip: int) -> TextFile:
    """The UTF-8 copy of `path` read as `codec` (after `skip` bytes of byte-order mark), made once."""
    import datasets

    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{codec}".encode()).hexdigest()[:32]
    folder = Path(datasets.config.HF_DATASETS_CACHE) / "workbench-utf8"
    target = folder / f"{path.stem}-{key}{path.suffix}"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            _transcode(path, codec, skip, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return TextFile(target, _NAMES[codec])


def _transcode(path: Path, codec: str, skip: int, target: Path) -> None:
    decoder = codecs.getincrementaldecoder(codec)()
    line = 1
    with open(path, "rb") as source, open(target, "w", encoding="utf-8", newline="") as out:
        source.seek(skip)
        while True:
            chunk = source.read(_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                line += exc.object[: exc.start].decode(codec).count("\n")
                raise _bad_byte(path, _NAMES[codec], line, exc.object[exc.start]) from None
            out.write(text)
            line += text.count("\n")
            if not chunk:
                return
