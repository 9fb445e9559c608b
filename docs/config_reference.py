"""Write docs/config.md, the run config reference, from workbench/core/config.py, so it cannot drift.

Each setting's text is its attribute docstring (the string literal on the line after the field, read
with `ast`); its type and default come from `dataclasses.fields`. tests/test_docs.py fails when the
committed page differs from what this script writes, or when a field has no docstring.

    python docs/config_reference.py          # write docs/config.md (`make docs` runs this first)
    python docs/config_reference.py --check  # exit 1 if docs/config.md is stale
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import json
import sys
import types
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's workbench, also when run as a plain script

from workbench.core import config as config_module  # noqa: E402  (imports only workbench.core.errors)

PAGE = ROOT / "docs" / "config.md"

# Settings with a fixed set of values: the tuple in config.py that `validate()` checks them against.
CHOICES = {
    ("TaskConfig", "type"): config_module.TASKS,
    ("TaskConfig", "loss"): config_module.LOSSES,
    ("FreezeConfig", "preset"): config_module.FREEZE_PRESETS,
    ("TrainingConfig", "precision"): config_module.PRECISIONS,
    ("TrainingConfig", "dropout_masks"): config_module.DROPOUT_MASKS,
    ("TrainingConfig", "eval_strategy"): config_module.EVAL_STRATEGIES,
}

INTRO = """\
# Run config reference

<!-- Written by docs/config_reference.py from the field docstrings in workbench/core/config.py.
     Do not edit: change config.py and run `make docs` (tests/test_docs.py fails while this is stale). -->

A run config is a JSON file: the window saves one with **File > Save run config**, and
`workbench train run.json` trains it headless (also under `torchrun`). It has the sections below.
A section or a setting left out keeps its default; an unknown one is reported, not ignored. Every
problem in a config is reported as one sentence that names the setting.

*Empty* means JSON `null`: the workbench then picks the value, as each setting says.

## All settings at their defaults

```json
{defaults}
```
"""


def section_classes() -> list[tuple[str, type]]:
    """(section name, dataclass) for each section of RunConfig, in file order."""
    return [(f.name, f.default_factory) for f in dataclasses.fields(config_module.RunConfig)
            if dataclasses.is_dataclass(f.default_factory)]


def config_dataclasses() -> list[type]:
    """Every dataclass that config.py defines."""
    return [obj for _, obj in inspect.getmembers(config_module, inspect.isclass)
            if dataclasses.is_dataclass(obj) and obj.__module__ == config_module.__name__]


def _classes() -> list[ast.ClassDef]:
    tree = ast.parse(Path(config_module.__file__).read_text(encoding="utf-8"))
    return [node for node in tree.body if isinstance(node, ast.ClassDef)]


def class_docstrings() -> dict[str, str]:
    """{class name: its own docstring} (a dataclass without one gets a generated `__doc__`, not shown)."""
    return {node.name: ast.get_docstring(node) or "" for node in _classes()}


def field_docstrings() -> dict[str, dict[str, str]]:
    """{class name: {field name: its attribute docstring, cleaned}} for the classes of config.py."""
    found: dict[str, dict[str, str]] = {}
    for node in _classes():
        docs = found.setdefault(node.name, {})
        for statement, following in zip(node.body, node.body[1:]):
            if (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
                    and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)):
                docs[statement.target.id] = inspect.cleandoc(following.value.value)
    return found


def missing_docstrings() -> list[str]:
    """`Class.field` for every dataclass field of config.py without an attribute docstring."""
    docs = field_docstrings()
    return [f"{cls.__name__}.{f.name}" for cls in config_dataclasses() for f in dataclasses.fields(cls)
            if not docs.get(cls.__name__, {}).get(f.name)]


def describe_type(hint) -> str:
    """A field's type in words, as a JSON value: "text", "whole number, or empty"."""
    if isinstance(hint, types.UnionType):
        args = typing.get_args(hint)
        shown = " or ".join(describe_type(arg) for arg in args if arg is not type(None))
        return f"{shown}, or empty" if type(None) in args else shown
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        return "list of " + {str: "text", int: "whole numbers", float: "numbers"}.get(item, describe_type(item))
    names = {str: "text", int: "whole number", float: "number", bool: "true/false"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def default_of(f: dataclasses.Field) -> str:
    value = f.default_factory() if f.default is dataclasses.MISSING else f.default
    return f"`{json.dumps(value)}`"


def cell(text: str, where: str) -> str:
    """Text for one table cell: one line; a `|` would end the cell, so it is refused."""
    if "|" in text:
        raise ValueError(f"{where}: a docstring shown in a table cannot hold '|'; write it in words.")
    return " ".join(text.split())


def render() -> str:
    """The page, as docs/config.md holds it."""
    docs, intros = field_docstrings(), class_docstrings()
    run_docs = docs["RunConfig"]
    parts = [INTRO.format(defaults=config_module.RunConfig().to_json())]
    for section, cls in section_classes():
        hints = typing.get_type_hints(cls)
        parts.append(f"## {section}\n")
        parts.append(run_docs[section] + "\n")
        if intros.get(cls.__name__):
            parts.append(intros[cls.__name__] + "\n")
        rows = ["| Setting | Type | Default | What it does |", "|---|---|---|---|"]
        for f in dataclasses.fields(cls):
            where = f"{cls.__name__}.{f.name}"
            kind = describe_type(hints[f.name])
            if (cls.__name__, f.name) in CHOICES:
                kind = "one of " + ", ".join(f"`{choice}`" for choice in CHOICES[cls.__name__, f.name])
            text = docs.get(cls.__name__, {}).get(f.name, "")
            rows.append(f"| `{section}.{f.name}` | {kind} | {default_of(f)} | {cell(text, where)} |")
        parts.append("\n".join(rows) + "\n")
    plain = [f for f in dataclasses.fields(config_module.RunConfig) if not dataclasses.is_dataclass(f.default_factory)]
    if plain:
        parts.append("## Top level\n")
        rows = ["| Setting | Type | Default | What it does |", "|---|---|---|---|"]
        hints = typing.get_type_hints(config_module.RunConfig)
        for f in plain:
            text = cell(run_docs.get(f.name, ""), f"RunConfig.{f.name}")
            rows.append(f"| `{f.name}` | {describe_type(hints[f.name])} | {default_of(f)} | {text} |")
        parts.append("\n".join(rows) + "\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the page is up to date")
    args = parser.parse_args(argv)
    missing = missing_docstrings()
    if missing:
        print(f"These run config fields have no docstring in config.py: {', '.join(missing)}.", file=sys.stderr)
        return 1
    page = render()
    if args.check:
        if not PAGE.is_file() or PAGE.read_text(encoding="utf-8") != page:
            print(f"{PAGE.relative_to(ROOT)} is stale: run `python docs/config_reference.py`.", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(f"Wrote {PAGE.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
