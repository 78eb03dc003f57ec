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
AZURITE := testkit/azurite/node_modules/.bin/azurite-blob
# The web app (frontend/, built into frontend/dist and served by the API at /) and its browser tests,
# which drive Debian's Chromium through playwright-core; no tool downloads a browser of its own.
WEB_DEPS := frontend/node_modules/.package-lock.json
WEB_BUILD := frontend/dist/index.html
WEB_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	$(wildcard frontend/index.html frontend/*.ts frontend/tsconfig*.json frontend/openapi.json)
E2E_DEPS := tests/e2e/node_modules/.package-lock.json
NPM_CI := npm ci --no-audit --no-fund --loglevel=error
# Validators for the deployable artefacts (tests/deploy: hadolint, the compose CLI, checkov) in their own
# virtualenv, because checkov pins libraries the product's lock does not allow.
TOOLS_VENV := .venv-tools
TOOLS_STAMP := $(TOOLS_VENV)/.installed-$(shell sha1sum requirements/tools.txt | cut -c1-12)

.PHONY: help install web chromium run test test-deps test-fast tools lint bench lock clean db-backup db-restore

help:
	@echo "make run    start the whole product (web app, API, workers, database, Redis, Flower)"
	@echo "make test   run the whole test suite (unit, stack, browser)"
	@echo "make test-fast  only the fast tier: no running product, served API, browser, external tool or model"
	@echo "make lint   ruff, the import contracts and the type checker"
	@echo "make bench  run the benchmarks and print their tables"
	@echo "make db-backup   back up the database and local blobs to backups/ (or FILE=x.dump)"
	@echo "make db-restore  FILE=x.dump: put a backup back into the configured database"
	@echo "make clean  remove the virtualenv and local state (.data)"

$(STAMP): pyproject.toml requirements/lock.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c requirements/lock.txt -e '.[$(EXTRAS)]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

$(TOOLS_STAMP): requirements/tools.txt
	@test -x $(TOOLS_VENV)/bin/python || $(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/tools.txt
	@rm -f $(TOOLS_VENV)/.installed-*
	@touch $@

tools: $(TOOLS_STAMP)

$(AZURITE): testkit/azurite/package.json testkit/azurite/package-lock.json
	$(NPM_CI) --prefix testkit/azurite
	@touch $@

$(WEB_DEPS): frontend/package.json frontend/package-lock.json
	$(NPM_CI) --prefix frontend
	@touch $@

$(WEB_BUILD): $(WEB_DEPS) $(WEB_SOURCES)
	npm run --prefix frontend --silent build

web: $(WEB_BUILD)

$(E2E_DEPS): tests/e2e/package.json tests/e2e/package-lock.json
	$(NPM_CI) --prefix tests/e2e
	@touch $@

# Debian's Chromium for the browser tests, installed once per machine.
chromium:
	@command -v chromium >/dev/null || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

run: install web
	$(BIN)/workopti run

# Bytecode is cached (some machines set PYTHONDONTWRITEBYTECODE): every API, worker and test process
# would otherwise compile the project anew, and pytest would rewrite every test module's asserts again.
# What the suite needs, made side by side: the installs wait on the network more than on the CPU.
test-deps: install $(AZURITE) web $(E2E_DEPS) chromium tools

test:
	@$(MAKE) --no-print-directory -j4 test-deps
	npm test --prefix frontend --silent
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest

# The tiers are pytest markers (pyproject.toml, given in tests/conftest.py); the fast tier is what none
# of them marks, and needs nothing but the virtualenv.
# Without the plugins pytest would load by entry point (hypothesis, schemathesis: seconds of imports)
# that only the fuzz test, a stack test, uses.
test-fast: install
	PYTHONDONTWRITEBYTECODE= PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(BIN)/python -m pytest -p pytest_timeout \
		-m 'not stack and not browser and not api and not external and not slow'

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

# The embedded database (started for the occasion if `make run` is not running), or DATABASE_URL.
# ARGS passes more options, e.g. ARGS='--yes --no-blobs'; see docs/database-operations.md.
db-backup: install
	$(BIN)/workopti db-backup $(if $(FILE),--file '$(FILE)') $(ARGS)

db-restore: install
	@test -n '$(FILE)' || { echo "usage: make db-restore FILE=backups/workopti-<time>.dump [ARGS='--yes']"; exit 2; }
	$(BIN)/workopti db-restore '$(FILE)' $(ARGS)

# After changing dependencies in pyproject.toml: install into a fresh venv, then record what resolved.
lock:
	rm -rf $(VENV) && $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	{ echo "# Exact versions for a reproducible install, applied as constraints by the Makefile."; \
	  echo "# Regenerate after changing dependencies: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; \
	} > requirements/lock.txt

clean:
	rm -rf $(VENV) $(TOOLS_VENV) .data frontend/node_modules frontend/dist tests/e2e/node_modules testkit/azurite/node_modules
