# Everything bootstraps its own virtualenv from pyproject.toml; nothing relies on
# what a previous session installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/salesbot demo

lint: $(STAMP)
	$(BIN)/ruff check automation tests benchmarks
	$(BIN)/ruff format --check automation tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks --json bench-results.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
