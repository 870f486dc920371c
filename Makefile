# reviewlab: `make run` reviews the bundled example project; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
EXAMPLE := examples/webshop
REPORTS := reports
HOST ?= 127.0.0.1
PORT ?= 8000

export HF_HUB_OFFLINE := 1
export DAGSTER_DISABLE_TELEMETRY := 1
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false

.PHONY: install install-test run test lint typecheck pytest benchmark docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install --quiet --constraint constraints.txt --editable '.[postgres,api]'
	touch $@

$(TEST_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install --quiet --constraint constraints.txt --editable '.[postgres,api,dagster,warehouse,app,hf,dev]'
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)

install-test: $(TEST_STAMP)

run: $(RUN_STAMP)
	$(BIN)/reviewlab review $(EXAMPLE) --reports-dir $(REPORTS)
	@echo "reviewlab platform: API with in-process analysis workers on http://$(HOST):$(PORT) (Ctrl-C stops it)"
	REVIEWLAB_COOKIE_SECURE=$${REVIEWLAB_COOKIE_SECURE:-false} $(BIN)/reviewlab serve --host $(HOST) --port $(PORT)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

pytest: $(TEST_STAMP)
	$(BIN)/pytest -n 2

test: lint typecheck pytest

benchmark: $(TEST_STAMP)
	$(BIN)/python benchmarks/engine_throughput.py
	$(BIN)/python benchmarks/taint_throughput.py --repeat 5
	$(BIN)/python benchmarks/taint_throughput.py --jobs 2 --repeat 3
	$(BIN)/python benchmarks/project_scaling.py
	$(BIN)/python benchmarks/ai_overhead.py
	mkdir -p $(REPORTS)
	$(BIN)/python benchmarks/security_score.py --json $(REPORTS)/security-score.json

docs: $(TEST_STAMP)
	$(BIN)/python -m reviewlab.reports.rule_docs > docs/rules.md

clean:
	rm -rf $(VENV) $(REPORTS) .pytest_cache .mypy_cache .ruff_cache
