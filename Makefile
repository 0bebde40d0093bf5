# Two commands: `make run` (set up and start on embedded defaults) and `make test` (set up and run the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint clean communes-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/giaoban up

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Re-derive core/data/communes.json from the two pinned releases of vietnam-provinces (see tools/derive_communes.py).
COMMUNES_CURRENT := vietnam-provinces==2025.10.1
COMMUNES_PREVIOUS := vietnam-provinces==0.6.0
communes-data: $(STAMP)
	$(BIN)/pip download --quiet --no-deps --dest var/pkgs $(COMMUNES_CURRENT)
	$(BIN)/pip download --quiet --no-deps --dest var/pkgs $(COMMUNES_PREVIOUS)
	$(BIN)/python tools/derive_communes.py var/pkgs/vietnam_provinces-2025.10.1-py3-none-any.whl \
		var/pkgs/vietnam_provinces-0.6.0-py3-none-any.whl core/data/communes.json

clean:
	rm -rf $(VENV) var *.egg-info
