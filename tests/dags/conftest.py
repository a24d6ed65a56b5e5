"""Fixtures for running the real DAG files with `dag.test()` against a started local workspace."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
# scripts/ (the dag.test harness the demo uses) and this folder's helpers are not packages.
for path in (REPO_ROOT / "scripts", HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import dag_runner  # noqa: E402

# Stub Databricks notebooks, run by the local workspace: one is named like a test module, so pytest must not collect them.
collect_ignore = ["stub_notebooks"]


@pytest.fixture(scope="session")
def airflow_db():
    """The session's Airflow home (set by the root conftest) with a migrated SQLite DB and our DAGs folder."""
    dag_runner.configure_airflow(None)
    dag_runner.migrate_db()
    return os.environ["AIRFLOW_HOME"]
