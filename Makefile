# The README's two commands: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint install assets browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) assets browser

# A Chromium for the browser tests: Debian's package when we may install it (root, apt-get), else
# Playwright's own download; never fails the install (the platform itself needs no browser).
browser: $(STAMP)
	$(BIN)/python tools/browser.py provide

# The browser editor (CodeMirror 5) from the npm registry, checked against its pinned
# sha512; no Node needed. A no-op once present; if offline the editor is a plain text area.
assets: $(STAMP)
	-$(BIN)/python tools/fetch_assets.py

HOST ?= 127.0.0.1
PORT ?= 8000

run: install
	$(BIN)/tracedojo serve --host $(HOST) --port $(PORT)

# ruff (lint and format, configured in pyproject.toml) and mypy in its strict mode.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The browser check comes first: without a browser the suite would fail minutes later, so it stops now
# with one line saying what to install.
test: install
	$(BIN)/python tools/browser.py check
	$(MAKE) lint
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

clean:
	rm -rf $(VENV) var artifacts
