"""The DAG tests' helpers (dagtest_support) live in this folder, which is not a package; the Airflow DB and
the workspace are the session's (tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

# Stub Databricks notebooks, run by the local workspace: one is named like a test module, so pytest must not collect them.
collect_ignore = ["stub_notebooks"]


@pytest.fixture(scope="module")
def stub_env(workspace, airflow_db, tmp_path_factory):
    """The DAGs on the session's workspace with the stub notebooks (the workspace serves this repository, so the
    stubs are at /tests/dags/stub_notebooks there): (workspace, dags, RegistryClient)."""
    import dag_runner
    from dagtest_support import RegistryClient, point_clients_at, write_job_config

    mp = pytest.MonkeyPatch()
    config = write_job_config(tmp_path_factory.mktemp("wiring") / "jobs.yaml", "/tests/dags/stub_notebooks")
    mp.setenv("CHURN_DATABRICKS_CONFIG", str(config))
    try:
        point_clients_at(workspace, mp)
        dags = dag_runner.load_dags()
        yield workspace, dags, RegistryClient(workspace)
    finally:
        mp.undo()
