# paperfeed: `make demo` serves the demo site; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: install demo test lint bench screenshot clean help

help:
	@echo "make demo   - set up and serve the demo site on http://127.0.0.1:$(PORT)"
	@echo "make test   - set up (venv, PostgreSQL, Chromium), lint and run the whole suite"
	@echo "make lint   - ruff and mypy (strict) only"
	@echo "make bench  - run the benchmarks (see benchmarks/README.md)"
	@echo "make screenshot - refresh the README screenshots in docs/ in headless Chromium"

install: $(STAMP)

# torch is pinned and installed first so nothing pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "torch==2.13.0"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

demo: $(STAMP)
	$(BIN)/paperfeed demo --port $(PORT)

# Lint first: it is quick, and the suite only runs on code that passes it.
test: lint
	VENV=$(VENV) bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# The browser test saves build/screenshots/ (git-ignored); only this copies it to docs/.
screenshot: $(STAMP)
	$(BIN)/python scripts/screenshot.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
