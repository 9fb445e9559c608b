"""The bundle spec (packaging/workbench.spec) keeps what reading and writing workbooks needs: its module
exclusions and file cuts, read from the spec's own literals, leave python-calamine (a compiled
extension), openpyxl and et_xmlfile whole. `make bundle-test` builds the bundle and predicts a workbook
in it; this check runs in seconds."""

import ast
import fnmatch
import importlib.util
from pathlib import Path

import pytest

SPEC = Path(__file__).resolve().parent.parent / "packaging" / "workbench.spec"
WORKBOOK_PACKAGES = ("python_calamine", "openpyxl", "et_xmlfile")
ICON_PACKAGES = ("qtawesome", "qtpy")  # the window's icons: qtawesome draws them from its fonts, through qtpy


def spec_literal(name: str):
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    (value,) = [node.value for node in tree.body if isinstance(node, ast.Assign)
                and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)]
    return ast.literal_eval(value)


@pytest.mark.parametrize("package", WORKBOOK_PACKAGES)
def test_the_bundle_spec_keeps_the_workbook_packages(package):
    excluded = spec_literal("EXCLUDED_MODULES")
    assert not [name for name in excluded if package == name or package.startswith(name + ".")]
    cuts, exceptions = spec_literal("CUTS"), spec_literal("CUT_EXCEPTIONS")
    folder = Path(importlib.util.find_spec(package).origin).parent
    files = [str(path.relative_to(folder.parent)) for path in folder.rglob("*")
             if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyi"]
    cut = [(dest, reason) for dest in files for reason, patterns in cuts.items()
           if any(fnmatch.fnmatch(dest, p) for p in patterns)
           and not any(fnmatch.fnmatch(dest, p) for p in exceptions.get(reason, []))]
    assert cut == []
    if package == "python_calamine":
        assert any(dest.endswith(".so") or dest.endswith(".pyd") for dest in files)  # the extension is among them


def _cut(dest: str) -> bool:
    cuts, exceptions = spec_literal("CUTS"), spec_literal("CUT_EXCEPTIONS")
    return any(any(fnmatch.fnmatch(dest, p) for p in patterns) and not any(fnmatch.fnmatch(dest, p) for p in
               exceptions.get(reason, [])) for reason, patterns in cuts.items())


@pytest.mark.parametrize("package", ICON_PACKAGES)
def test_the_bundle_spec_keeps_the_icon_packages_and_their_fonts(package):
    excluded = spec_literal("EXCLUDED_MODULES")
    assert not [name for name in excluded if package == name or package.startswith(name + ".")]
    folder = Path(importlib.util.find_spec(package).origin).parent
    kept = [path for path in folder.rglob("*") if path.is_file() and "tests" not in path.parts
            and "__pycache__" not in path.parts and path.suffix != ".pyi"]
    assert [path for path in kept if _cut(str(path.relative_to(folder.parent)))] == []
    if package == "qtawesome":
        fonts = [path.name for path in kept if path.suffix == ".ttf"]
        assert any(name.startswith("fontawesome5-solid") for name in fonts)
        assert 'collect_data_files("qtawesome"' in SPEC.read_text(encoding="utf-8")
