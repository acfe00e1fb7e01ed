# SimplePro — the front door. `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# pytest-xdist workers; "auto" uses every core.
TEST_WORKERS ?= auto

.PHONY: run test lint format serve migrate clean help

help:
	@echo "make run    set up, migrate the embedded database, seed the demo company, serve :$(PORT)"
	@echo "make test   run the whole test suite (SQLite by default; DATABASE_URL/REDIS_URL switch it)"
	@echo "make lint   ruff + mypy --strict"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("SimplePro needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps re-install only when pyproject.toml changes.
$(VENV)/.runtime: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/simplepro migrate
	$(BIN)/simplepro seed-demo
	$(BIN)/simplepro serve --with-tasks --host $(HOST) --port $(PORT)

test: $(VENV)/.dev
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench .ci deploy
	$(BIN)/ruff format --check src tests bench .ci deploy
	$(BIN)/mypy

format: $(VENV)/.dev
	$(BIN)/ruff format src tests bench .ci deploy
	$(BIN)/ruff check --fix src tests bench .ci deploy

clean:
	rm -rf $(VENV) build src/*.egg-info
