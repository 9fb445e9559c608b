"""Variants of one run config, for comparisons: a name and the settings it changes.

A variant is written `NAME:section.field=value,section.field=value` (values read as JSON where they
parse, else as text), `NAME:` for the base config as it is, or a bare preset name. Applying one builds a new config through
`RunConfig.from_dict`, so an unknown setting or a bad value is refused as it would be in a config file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from workbench.core.config import ConfigError, RunConfig
from workbench.core.errors import WorkbenchError

# The common comparisons. Settings that a version of the workbench lacks are refused when applied.
PRESETS: dict[str, dict[str, Any]] = {
    "full": {"freeze.preset": "full"},
    "head_only": {"freeze.preset": "head_only"},
    "lower_half": {"freeze.preset": "lower_half"},
    "lora": {"lora.enabled": True, "lora.rank": 8},
    "llrd": {"training.layer_lr_decay": 0.9},
}
_NAME = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Variant:
    name: str
    changes: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """The changes as they are typed: `freeze.preset=head_only, training.epochs=2`."""
        return ", ".join(f"{key}={json.dumps(value)}" for key, value in self.changes.items()) or "the base config"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "changes": dict(self.changes)}


def parse_variant(text: str) -> Variant:
    """`NAME:section.field=value,...`, or a preset's bare name."""
    text = text.strip()
    name, colon, rest = text.partition(":")
    name = name.strip()
    if not colon:
        if name in PRESETS:
            return Variant(name, dict(PRESETS[name]))
        raise WorkbenchError(f"The variant '{text}' is neither a preset ({', '.join(PRESETS)}) nor written "
                             "NAME:section.field=value,...")
    if not _NAME.fullmatch(name):
        raise WorkbenchError(f"The variant '{text}' needs a name of letters, digits, '_', '-' or '.' before the colon.")
    changes: dict[str, Any] = {}
    for part in (p.strip() for p in rest.split(",") if rest.strip()):  # `NAME:` alone: the base config
        key, equals, value = (s.strip() for s in part.partition("="))
        if not equals or not re.fullmatch(r"[A-Za-z_]+\.[A-Za-z_]+", key):
            raise WorkbenchError(f"In the variant '{name}', '{part}' is not written section.field=value "
                                 "(for example training.learning_rate=5e-5).")
        changes[key] = _value(value)
    return Variant(name, changes)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def variant_config(base: RunConfig, variant: Variant, comparison: str) -> RunConfig:
    """The base config with the variant's changes, its runs named `<comparison>-<variant>`."""
    raw = base.to_dict()
    for key, value in variant.changes.items():
        section, name = key.split(".", 1)
        if not isinstance(raw.get(section), dict):  # an unknown section: from_dict names it
            raw[section] = {}
        raw[section][name] = value
    raw["output"]["run_name"] = f"{comparison}-{variant.name}"
    try:
        return RunConfig.from_dict(raw)
    except ConfigError as exc:
        raise WorkbenchError(f"The variant '{variant.name}' does not make a valid run config: "
                             + " ".join(exc.problems)) from None


def check_names(variants: list[Variant]) -> None:
    """Each variant names a run folder and a table row: no two alike, at least one."""
    if not variants:
        raise WorkbenchError("A comparison needs at least one variant (--variant NAME:section.field=value, or a "
                             f"preset: {', '.join(PRESETS)}).")
    seen: set[str] = set()
    for variant in variants:
        if variant.name in seen:
            raise WorkbenchError(f"Two variants are named '{variant.name}'; give each its own name.")
        seen.add(variant.name)
