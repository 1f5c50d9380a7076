# Everyday targets. Each one installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8200
PYTEST_ARGS ?=

.PHONY: help serve test lint typecheck unit spec spec-lint clean

help:
	@echo "make serve     run the mock on http://$(HOST):$(PORT) (root token: root)"
	@echo "make test      lint, type-check and run the whole test suite"
	@echo "make spec      rebuild the merged API document from spec/"
	@echo "make spec-lint list the defects of the published fragments"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/vaultmock serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

test: lint typecheck unit

spec: $(STAMP)
	$(VENV)/bin/vaultmock spec build

spec-lint: $(STAMP)
	$(VENV)/bin/vaultmock spec lint

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache reports
