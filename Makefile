# The two commands of the README: `make demo` and `make test`. Each sets up what it needs
# in .venv (Python 3.11+), then runs. Nothing else is installed on the machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# requirements.lock pins the runtime dependencies the Docker image ships: tests run on them too.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $@ $(VENV)/.installed

# The demo's gate fails on purpose: apiq-gate exits 1, which is the expected outcome here.
demo: $(VENV)/.installed
	@$(BIN)/apiq-gate demo; code=$$?; \
	if [ $$code -eq 1 ]; then echo "(apiq-gate exited 1, as a failing gate does: the demo fails on purpose)"; exit 0; fi; \
	exit $$code

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

$(VENV)/.installed-dev: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check apiq_gate scripts benchmarks
	$(BIN)/ruff format --check apiq_gate
	$(BIN)/mypy

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/probes.py
	$(BIN)/python benchmarks/cli_startup.py

clean:
	rm -rf $(VENV) apiq-gate-demo
