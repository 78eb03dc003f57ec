# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS := api,worker,flower,local-ml,cloud,embedded,cli,dev
# Reinstall whenever the project or its lock changes.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements/lock.txt | sha1sum | cut -c1-12)
# Azurite (the Azure Storage emulator) for the blob adapter tests, from the npm registry.
AZURITE := tests/azurite/node_modules/.bin/azurite-blob

.PHONY: help install run test lint bench lock clean

help:
	@echo "make run    start the whole product (database, Redis, API, workers, Flower)"
	@echo "make test   run the whole test suite"
	@echo "make lint   ruff and the import contracts"
	@echo "make bench  run the benchmarks and print their tables"
	@echo "make clean  remove the virtualenv and local state (.data)"

$(STAMP): pyproject.toml requirements/lock.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c requirements/lock.txt -e '.[$(EXTRAS)]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

$(AZURITE): tests/azurite/package.json tests/azurite/package-lock.json
	npm ci --prefix tests/azurite --no-audit --no-fund --loglevel=error
	@touch $@

run: install
	$(BIN)/workopti run

test: install $(AZURITE)
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench

# After changing dependencies in pyproject.toml: install into a fresh venv, then record what resolved.
lock:
	rm -rf $(VENV) && $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	{ echo "# Exact versions for a reproducible install, applied as constraints by the Makefile."; \
	  echo "# Regenerate after changing dependencies: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; \
	} > requirements/lock.txt

clean:
	rm -rf $(VENV) .data
