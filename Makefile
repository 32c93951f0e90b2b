# Two commands do everything on a fresh machine with Python 3.11:
#   make run    set up and start the explorer on the embedded default graph
#   make test   set up and run the whole suite: ruff, mypy, pytest (browser and server tests included)
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8501

.PHONY: run test test-engines setup setup-test browser lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.stamp-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.stamp-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	touch $@ $(VENV)/.stamp-run

setup: $(VENV)/.stamp-run
setup-test: $(VENV)/.stamp-test

run: setup
	$(BIN)/alliance-graph explore --host $(HOST) --port $(PORT)

# The browser tests use Debian's Chromium; install it when it is missing.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  SUDO=""; [ "$$(id -u)" = "0" ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

lint: setup-test
	$(BIN)/ruff check graph app.py app_pages tests bench

typecheck: setup-test
	$(BIN)/mypy

pytest: setup-test browser
	$(BIN)/pytest -q

test: lint typecheck pytest

# Outside the 15-minute suite: the CQs rdflib answers slowly (tests/data/rdflib-slow-cqs.txt)
# and every accession's as-of check, on both embedded engines.
test-engines: setup-test
	ALLIANCE_GRAPH_ALL_ENGINES=1 $(BIN)/pytest -q tests/test_knowledge.py tests/test_asof.py tests/test_sparql_stores.py

bench: setup-test
	$(BIN)/python -m graph bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache test-artifacts
