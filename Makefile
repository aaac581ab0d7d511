# The README's two commands: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint install assets clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) assets

# The browser editor (CodeMirror 5) from the npm registry, checked against its pinned
# sha512; no Node needed. A no-op once present; if offline the editor is a plain text area.
assets: $(STAMP)
	-$(BIN)/python tools/fetch_assets.py

run: install
	$(BIN)/tracedojo serve

# ruff (lint and format, configured in pyproject.toml) and mypy in its strict mode.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install lint
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

clean:
	rm -rf $(VENV) var artifacts
