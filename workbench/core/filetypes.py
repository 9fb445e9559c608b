"""The data file types the engine reads, by extension (no heavy imports, so the UI can use it at start-up)."""

CONLL_EXTENSIONS = (".conll", ".iob", ".bio")
WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")  # Excel and OpenDocument spreadsheets, read through calamine
DATA_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet",
    **dict.fromkeys(CONLL_EXTENSIONS, "conll"), **dict.fromkeys(WORKBOOK_EXTENSIONS, "workbook"),
}


def file_dialog_filter() -> str:
    patterns = " ".join(f"*{ext}" for ext in DATA_EXTENSIONS)
    return f"Data files ({patterns});;All files (*)"
