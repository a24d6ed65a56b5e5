"""Shared fixtures: one real local workspace (a `local-workspace serve` subprocess) for the test session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

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
