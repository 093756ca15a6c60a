# Everything bootstraps its own virtualenv from pyproject.toml; nothing relies on
# what a previous session installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The install is keyed by the *content* of pyproject.toml (and where the venv
# lives), not by its mtime: a fresh clone or a CI checkout is always newer than a
# cached .venv, and would otherwise reinstall everything on every pipeline.
KEY    := $(shell $(PYTHON) -c "import hashlib,os;print(hashlib.sha256(open('pyproject.toml','rb').read()+os.path.abspath('$(VENV)').encode()).hexdigest()[:16])")
STAMP  := $(VENV)/.installed-$(KEY)

.PHONY: venv demo test lint bench wheel clean

venv: $(STAMP)

# A venv is not relocatable (its scripts name its python by absolute path), so
# one restored from a cache at another path is rebuilt, not patched.
$(STAMP):
	@if [ -d $(VENV) ] && [ "$$(cat $(VENV)/.location 2>/dev/null)" != "$(abspath $(VENV))" ]; then \
		echo "$(VENV) was made elsewhere; rebuilding it"; rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	echo "$(abspath $(VENV))" > $(VENV)/.location
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed $(VENV)/.installed-*
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

# dist/salesbot-<version>-py3-none-any.whl, templates included (the Dockerfile
# installs it).
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps --wheel-dir dist .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache dist build
