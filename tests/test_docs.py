"""The run config reference (docs/config.md) is written from config.py's field docstrings: it must be
up to date, and every field must have a docstring. Fast: config.py imports no torch."""

import dataclasses
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _reference():
    spec = importlib.util.spec_from_file_location("config_reference", ROOT / "docs" / "config_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_config_field_has_a_docstring():
    reference = _reference()
    assert reference.config_dataclasses(), "no dataclasses found in workbench/core/config.py"
    missing = reference.missing_docstrings()
    assert not missing, (f"Give these fields of workbench/core/config.py an attribute docstring (a string on the "
                         f"line after the field): {', '.join(missing)}")


def test_the_config_reference_page_is_up_to_date():
    reference = _reference()
    committed = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert committed == reference.render(), "docs/config.md is stale: run `python docs/config_reference.py`"


def test_the_page_lists_every_setting_with_its_default():
    reference = _reference()
    page = reference.render()
    for section, cls in reference.section_classes():
        for f in dataclasses.fields(cls):
            assert f"| `{section}.{f.name}` |" in page


def test_a_field_without_a_docstring_is_found(tmp_path, monkeypatch):
    reference = _reference()
    source = Path(reference.config_module.__file__).read_text(encoding="utf-8")
    marker = '    batch_size: int = 32\n    """'
    assert marker in source
    doc_start = source.index(marker) + len("    batch_size: int = 32\n")
    doc_end = source.index('"""\n', source.index('"""', doc_start) + 3) + 4
    stripped = tmp_path / "config.py"
    stripped.write_text(source[:doc_start] + source[doc_end:], encoding="utf-8")
    monkeypatch.setattr(reference.config_module, "__file__", str(stripped))
    assert reference.missing_docstrings() == ["TrainingConfig.batch_size"]
