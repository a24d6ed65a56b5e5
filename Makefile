# Two commands matter on a fresh machine: `make demo` and `make test`. Both install into .venv first
# (a no-op when pyproject.toml and requirements.lock have not changed since the last install).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install test test-fast lint demo airflow airflow-push register-webhook lock clean bench workspace

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install -q "uv==$(UV_VERSION)"
	$(UV) pip install -q --python $(PY) -r requirements.lock -e '.[dev]'
	@# The build leaves *.egg-info in the repo root; with the root on sys.path Airflow would then see our
	@# plugin entry point twice ("already registered"). The installed metadata lives in the venv.
	@rm -rf ./*.egg-info
	@touch $(STAMP)

# Everything, what CI runs (.ci/run): unit, component, notebook, end-to-end and browser tests.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# The quick loop while coding (under 2 minutes): unit tests and component tests over real HTTP against the
# session's local workspace; no notebook or AutoML runs, no end-to-end or browser tests, no server restarts.
FAST_LANE := not notebook and not e2e and not ui and not slow
test-fast: install
	$(PY) -m pytest -m "$(FAST_LANE)" $(PYTEST_ARGS)

# ruff (lint + format check) and mypy, configured in pyproject.toml; .ci/run runs this before the tests.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# `make demo REGISTRY=uc`: the same loop with Unity Catalog models (aliases challenger/champion, tags).
demo: install
	$(PY) scripts/demo.py $(if $(REGISTRY),--registry $(REGISTRY),)

# The local workspace + a full Airflow (UI, scheduler, DAG processor, triggerer) until Ctrl-C; state in .local.
# Ports: LOCAL_AIRFLOW_PORT (8080), LOCAL_WORKSPACE_PORT (8799).
airflow: install
	$(PY) scripts/local_airflow.py

# `make airflow` with push on: the churn model's registry webhook points at Airflow's receiver (README "Push flow").
airflow-push: install
	$(PY) scripts/local_airflow.py --push

# Register (or update) the registry webhook on the workspace of AIRFLOW_CONN_DATABRICKS_DEFAULT, pointing at the
# receiver described by AIRFLOW_CONN_DATABRICKS_REGISTRY_WEBHOOK (secret, models, public URL). ARGS: e.g. --test-mode.
register-webhook: install
	$(VENV)/bin/databricks-registry-webhook $(ARGS)

bench: install
	for b in bench/bench_*.py; do $(PY) "$$b" || exit 1; done

# Serve the local workspace in the foreground (data kept in .local/workspace; the token in .local/workspace/token).
workspace: install
	$(VENV)/bin/local-workspace serve --data-dir .local/workspace --token-file .local/workspace/token

# Re-resolve the pinned dependency set after editing pyproject.toml.
lock: install
	$(UV) pip compile -q pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

# Wipe the local workspace state (registry, runs, artifacts, warehouse) and the demo's Airflow home.
clean:
	rm -rf .local
