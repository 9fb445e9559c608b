#!/usr/bin/env bash
# Build the desktop bundle into dist/workbench/ (PyInstaller, one folder) and add the desktop entry and icon.
# PYTHON is the interpreter whose packages go into the bundle (default: .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/workbench.spec
install -m 644 packaging/bert-workbench.desktop resources/icons/workbench-256.png dist/workbench/
mv dist/workbench/workbench-256.png dist/workbench/bert-workbench.png
install -m 755 packaging/install-desktop-entry dist/workbench/
echo "Built dist/workbench ($(du -sh dist/workbench | cut -f1)) in $(( $(date +%s) - start )) s."
