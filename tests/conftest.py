"""Shared fixtures: one real local workspace (a `local-workspace serve` subprocess) for the test session, the
session's Airflow DB, and one run of the retraining DAG with the real notebook for the tests that need a trained
model. Test lanes: `make test-fast` deselects the markers registered in pyproject.toml (notebook, e2e, ui, slow)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# tests/support (shared helpers: `from support.waiting import wait_for`) and scripts/ (dag_runner, the dag.test()
# harness `make demo` uses) are not installed packages.
for _path in (REPO_ROOT / "tests", REPO_ROOT / "scripts"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# Airflow reads its home at import time: give the test session its own, never the user's ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
# The repository's DAGs from the first Airflow import on: Airflow caches its dags-folder bundle, so a test that
# parsed DAGs before another one pointed the folder here would leave dag.test() unable to serialize them.
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO_ROOT / "dags"))


@pytest.fixture(scope="session")
def workspace(tmp_path_factory):
    """A started local workspace on a free loopback port, with its own data dir and token.

    Yields a `local_workspace.launcher.RunningWorkspace` (url, host, port, token, data_dir, ...).
    Tests share it: use unique model names per test.
    """
    from local_workspace.launcher import start_workspace

    data_dir = tmp_path_factory.mktemp("workspace")
    ws = start_workspace(data_dir=data_dir, workspace_dir=REPO_ROOT)
    try:
        yield ws
    finally:
        ws.stop()


@pytest.fixture()
def databricks_env(workspace, monkeypatch):
    """Point databricks-sdk, MLflow (`databricks` URIs) and Airflow's `databricks_default` at the workspace."""
    for key, value in workspace.client_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_DEFAULT", workspace.airflow_connection_json())
    return workspace


def unique_name(prefix: str) -> str:
    """A model name no other test uses (the workspace is shared by the whole session)."""
    return f"{prefix} {os.getpid()}-{os.urandom(3).hex()}"


@pytest.fixture()
def model_name(request):
    return unique_name(request.node.name[:40])


@pytest.fixture(scope="session")
def airflow_db():
    """The session's Airflow home (set above) with a migrated SQLite DB and the repository's DAGs folder."""
    import dag_runner

    dag_runner.configure_airflow(None)
    dag_runner.migrate_db()
    return os.environ["AIRFLOW_HOME"]


@pytest.fixture(scope="session")
def retrained(workspace, airflow_db):
    """The retraining DAG run once per session on the session workspace, with the real notebook (AutoML).

    Shared by every module that needs a trained model (tests/churn notebook tests, tests/e2e): the training is
    the slowest step of the suite, and each of them only needs *a* version trained by the real notebook.
    Modules that change the version's stage register a copy of it under their own model name.
    """
    from support.trained_model import run_retraining

    return run_retraining(workspace)
