PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= train_config.yml
LINT_PATHS := train.py models datasets utils training inference data_preprocessing tests benchmarks

.PHONY: help venv lint format-check format-apply test test-slow train clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

venv: $(VENV)/.installed  ## create .venv, install requirements*.txt (pip, one run), then the project (editable)

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --editable .
	touch $@

lint: venv  ## pylint over all project code, then black --check
	$(BIN)/pylint $(LINT_PATHS)
	$(BIN)/black --check $(LINT_PATHS)

format-check: venv  ## black --check
	$(BIN)/black --check $(LINT_PATHS)

format-apply: venv  ## black, rewriting files
	$(BIN)/black $(LINT_PATHS)

test: venv  ## the default test suite (slow tests excluded)
	$(BIN)/python -m pytest -q

test-slow: venv  ## only the slow tests
	$(BIN)/python -m pytest -q -m slow

train: venv  ## train with CONFIG (default train_config.yml)
	$(BIN)/python train.py --model_config_path $(CONFIG)

clean:  ## remove caches (keeps .venv, runs and data)
	find . -name __pycache__ -prune -exec rm -rf {} +
	rm -rf .pytest_cache
