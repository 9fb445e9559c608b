# `make run` and `make test` work on a fresh clone: they build .venv first when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.13.0

.PHONY: run demo test smoke docs bundle bundle-test clean

$(BIN)/workbench: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: $(BIN)/workbench
	$(BIN)/workbench

demo: $(BIN)/workbench
	$(BIN)/workbench train --demo

test: $(BIN)/workbench
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# A real window on a virtual X screen: Debian's xvfb and the xcb libraries Qt's xcb plugin loads,
# installed when missing (CI runs as root on a fresh machine).
XVFB_PACKAGES := xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0 \
	libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0

smoke: $(BIN)/workbench
	dpkg -s $(XVFB_PACKAGES) >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq $(XVFB_PACKAGES) >/dev/null)
	QT_QPA_PLATFORM=xcb xvfb-run -a $(BIN)/python -m pytest -q -m xvfb

$(BIN)/mkdocs: $(BIN)/workbench
	$(BIN)/python -m pip install --quiet -e ".[dev,docs]"
	touch $@

# The documentation site in site/: the run config reference is written from config.py first;
# --strict fails the build on a broken link, a missing page or a page left out of the nav.
docs: $(BIN)/mkdocs
	$(BIN)/python docs/config_reference.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

$(BIN)/pyinstaller: $(BIN)/workbench
	$(BIN)/python -m pip install --quiet -e ".[dev,bundle]"
	touch $@

bundle: $(BIN)/pyinstaller
	PYTHON=$(BIN)/python bash packaging/build_bundle.sh

bundle-test: $(BIN)/pyinstaller
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m bundle

clean:
	rm -rf $(VENV) build dist site *.egg-info
