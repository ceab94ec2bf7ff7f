# Every target installs what it needs into a local virtual environment (.venv).
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install test lint unit bench clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(PY) -m ruff check course_lib tests tools bench

unit: install
	$(PY) -m pytest -n 2 tests

## Everything CI runs: lint, then all tests.
test: lint unit

## The speed benchmark (prints ms/epoch and ratios; see README "Performance").
bench: install
	$(PY) bench/train_speed.py

clean:
	rm -rf $(VENV) _build .pytest_cache .hypothesis .ruff_cache
