"""The data file types the engine reads, by extension (no heavy imports, so the UI can use it at start-up)."""

CONLL_EXTENSIONS = (".conll", ".iob", ".bio")
DATA_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet",
    **dict.fromkeys(CONLL_EXTENSIONS, "conll"),
}


def file_dialog_filter() -> str:
    patterns = " ".join(f"*{ext}" for ext in DATA_EXTENSIONS)
    return f"Data files ({patterns});;All files (*)"
