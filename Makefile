# One command per job. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The web front end's browser assets (htmx; axe-core for the tests), pinned by
# web/package-lock.json and served by the app itself.
ASSETS := web/node_modules/.package-lock.json
PACKAGES := -e kernel -e "services/intake[test]" -e "services/cases[test]" -e "services/analytics[test]" -e services/search -e "web[test]" -e cli
DATA ?= data
PYTEST_ARGS ?=
# The suite runs on every core; tests that need the same heavy engine share one worker
# (conftest.py: ENGINE_GROUPS). PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadgroup)
# The fast tier: no engine, no browser, no process of the platform, not the four services in
# one process, nothing slow by design (markers in pyproject.toml; conftest.py sets most).
FAST_TIER := not (postgres or kafka or e2e or keycloak or opensearch or prometheus or browser or platform or slow)
# Python may write its bytecode caches during a test run even where the environment says not to
# (PYTHONDONTWRITEBYTECODE): without them every pytest worker rewrites the asserts of every
# test module and compiles every source module again on every run, and every `alac`
# subprocess a test starts compiles the service it imports (a third of a worker's collection,
# half of a command's start-up). The caches go to __pycache__/, which git ignores.
test test-fast: export PYTHONDONTWRITEBYTECODE =

.DEFAULT_GOAL := help

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): constraints.txt kernel/pyproject.toml services/*/pyproject.toml web/pyproject.toml cli/pyproject.toml requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt $(PACKAGES) -r requirements-dev.txt
	touch $(STAMP)

$(ASSETS): web/package.json web/package-lock.json
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	touch $(ASSETS)

install: $(STAMP) $(ASSETS) ## create .venv and install every package (pinned by constraints.txt and web/package-lock.json)

install-system: ## install the Debian packages the tests need when missing (PostgreSQL server, Prometheus, Chromium, poppler-utils, wrk)
	deploy/engines/ensure-system-packages prometheus chromium wrk

run: $(STAMP) $(ASSETS) ## set up and start the web front end and the four services with demo data
	$(BIN)/alac up --data $(DATA)

run-production: $(STAMP) install-system engines ## the same on PostgreSQL, Kafka, Keycloak, OpenSearch and Prometheus (alac up --profile production)
	$(BIN)/alac up --profile production --data $(DATA)/production

engines: $(STAMP) install-system ## fetch the production engines (Kafka, Keycloak, OpenSearch) into ~/.cache/alac-engines
	$(BIN)/alac engines fetch

test: $(STAMP) $(ASSETS) install-system engines typecheck ## set up, type-check and run the whole test suite
	$(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-fast: $(STAMP) $(ASSETS) ## the fast tier while developing: no engines, browser or processes
	$(BIN)/pytest $(PYTEST_PARALLEL) -m "$(FAST_TIER)" $(PYTEST_ARGS)

lint: $(STAMP) typecheck ## ruff check and format check, and the type checker
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy: strict on the kernel, the rest as configured in pyproject.toml
	$(BIN)/mypy

bench: $(STAMP) engines ## every benchmark in one run (under 15 min once its data sets exist), then the targets table
	deploy/engines/ensure-system-packages wrk
	$(BIN)/python -m bench.suite

bench-quick: $(STAMP) ## every benchmark at a small scale (about 2 min): the same table, for development
	deploy/engines/ensure-system-packages wrk
	$(BIN)/python -m bench.suite --quick

verify: $(STAMP) ## reliability and security run: 10 min of load with kill -9 faults, bad input, access probes; prints a table (docs/reliability.md)
	$(BIN)/python -m verify $(VERIFY_ARGS)

clean: ## remove the virtual environment, the web assets and the local data folder
	rm -rf $(VENV) $(DATA) web/node_modules

.PHONY: help install install-system engines run run-production test test-fast lint typecheck bench bench-quick verify clean
