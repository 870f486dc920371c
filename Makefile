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
DAGSTER_PORT ?= 3000
MLFLOW_PORT ?= 5000
APP_PORT ?= 8501

export HF_HUB_OFFLINE := 1
export DAGSTER_DISABLE_TELEMETRY := 1
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false

.PHONY: install install-test run test lint typecheck pytest benchmark docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install --quiet --constraint constraints.txt --editable '.[postgres,api,dagster,warehouse,mlflow,app]'
	touch $@

$(TEST_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install --quiet --constraint constraints.txt --editable '.[postgres,api,dagster,warehouse,mlflow,app,otel,k8s,kafka,e2e,hf,dev]'
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)

install-test: $(TEST_STAMP)

run: $(RUN_STAMP)
	$(BIN)/reviewlab review $(EXAMPLE) --reports-dir $(REPORTS)
	@bash -c 'set -e; eval "$$($(BIN)/python -m pipelines.instance --shell)"; \
	  export MLFLOW_TRACKING_URI="$$($(BIN)/python -c "from reviewlab.settings import get_settings; from reviewlab.lifecycle.tracking import default_tracking_uri; print(default_tracking_uri(get_settings()))")"; \
	  mlflow=; case "$$MLFLOW_TRACKING_URI" in sqlite:///*) \
	    store="$$(dirname "$${MLFLOW_TRACKING_URI#sqlite:///}")"; mkdir -p "$$store"; \
	    MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(BIN)/mlflow server --backend-store-uri "$$MLFLOW_TRACKING_URI" \
	      --default-artifact-root "$$store/artifacts" --host $(HOST) --port $(MLFLOW_PORT) --workers 1 \
	      > $(REPORTS)/mlflow.log 2>&1 & mlflow=$$!;; esac; \
	  $(BIN)/dagster-webserver -w workspace.yaml -h $(HOST) -p $(DAGSTER_PORT) > $(REPORTS)/dagster-webserver.log 2>&1 & web=$$!; \
	  $(BIN)/dagster-daemon run -w workspace.yaml > $(REPORTS)/dagster-daemon.log 2>&1 & daemon=$$!; \
	  REVIEWLAB_API_URL=http://$(HOST):$(PORT) $(BIN)/streamlit run app/main.py --server.address $(HOST) \
	    --server.port $(APP_PORT) --server.headless true > $(REPORTS)/streamlit.log 2>&1 & dashboard=$$!; \
	  trap "kill $$web $$daemon $$mlflow $$dashboard 2>/dev/null; wait" EXIT; \
	  echo "reviewlab platform (Ctrl-C stops it):"; \
	  echo "  Dashboard (Streamlit)                  http://$(HOST):$(APP_PORT)"; \
	  echo "  API with in-process analysis workers  http://$(HOST):$(PORT)  (reference: /docs)"; \
	  echo "  Dagster webserver and daemon           http://$(HOST):$(DAGSTER_PORT)  (instance: $$DAGSTER_HOME)"; \
	  if [ -n "$$mlflow" ]; then echo "  MLflow tracking server and registry    http://$(HOST):$(MLFLOW_PORT)  (store: $$MLFLOW_TRACKING_URI)"; \
	  else echo "  MLflow                                 at MLFLOW_TRACKING_URI (not started here)"; fi; \
	  REVIEWLAB_QUEUE=inprocess REVIEWLAB_COOKIE_SECURE=$${REVIEWLAB_COOKIE_SECURE:-false} \
	    $(BIN)/reviewlab serve --host $(HOST) --port $(PORT)'

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
	$(BIN)/python benchmarks/api_load.py --clients 50 --seconds 15 --backend embedded
	$(BIN)/python benchmarks/warehouse_queries.py
	mkdir -p $(REPORTS)
	$(BIN)/python benchmarks/security_score.py --json $(REPORTS)/security-score.json

docs: $(TEST_STAMP)
	$(BIN)/python -m reviewlab.reports.rule_docs > docs/rules.md

clean:
	rm -rf $(VENV) $(REPORTS) .pytest_cache .mypy_cache .ruff_cache
