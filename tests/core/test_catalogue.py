"""The curated backbones: plain data the window's picker and `workbench backbones` list."""

from workbench.cli import main
from workbench.core.config import BUNDLED_BACKBONE
from workbench.core.hub import is_hub_id
from workbench.core.model.catalogue import CATALOGUE, catalogue_entry


def test_the_catalogue_lists_the_bundled_backbone_first_and_hub_ids_after_it():
    assert CATALOGUE[0].name == BUNDLED_BACKBONE and CATALOGUE[0].bundled
    assert all(is_hub_id(entry.name) and entry.needs_download for entry in CATALOGUE[1:])
    names = [entry.name for entry in CATALOGUE]
    assert len(set(names)) == len(names) and "microsoft/deberta-v3-base" in names
    assert all(entry.parameters > 0 and entry.languages and entry.good_at.endswith(".") for entry in CATALOGUE)
    assert catalogue_entry("xlm-roberta-base").languages == "About 100 languages"
    assert catalogue_entry(" roberta-base ").size() == "125M parameters"
    assert catalogue_entry("someone/else") is None


def test_the_command_line_lists_them(capsys):
    assert main(["backbones"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["backbone.name", "parameters", "languages", "good", "at"]
    assert [line.split()[0] for line in lines[1:-1]] == [entry.name for entry in CATALOGUE]
    assert lines[1].split()[1] == "22.7M" and lines[-1].startswith("Any other Hub model id")
