# One command per job. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := -e kernel -e "services/intake[test]" -e "services/cases[test]" -e "services/analytics[test]" -e services/search -e cli
DATA ?= data
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): constraints.txt kernel/pyproject.toml services/*/pyproject.toml cli/pyproject.toml requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt $(PACKAGES) -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) ## create .venv and install every package (pinned by constraints.txt)

install-system: ## install the Debian packages the tests need when missing (PostgreSQL server)
	deploy/engines/ensure-system-packages

run: $(STAMP) ## set up and start the four services on the embedded default with demo data
	$(BIN)/alac up --data $(DATA)

engines: $(STAMP) install-system ## fetch the production engines (Kafka, Keycloak, OpenSearch) into ~/.cache/alac-engines
	$(BIN)/alac engines fetch

test: $(STAMP) install-system engines ## set up and run the whole test suite
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP) engines ## run the benchmarks and print the figures (the Kafka one on the fetched broker)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.kafka

clean: ## remove the virtual environment and the local data folder
	rm -rf $(VENV) $(DATA)

.PHONY: help install install-system engines run test lint bench clean
