"""Fixtures for the end-to-end tests: the real DAGs and the real notebooks on a started local workspace."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# scripts/ (the dag.test harness `make demo` uses) and the DAG tests' helpers are not packages.
for path in (REPO_ROOT / "scripts", REPO_ROOT / "tests" / "dags"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import dag_runner  # noqa: E402


@pytest.fixture(scope="session")
def airflow_db():
    """The session's Airflow home (set by the root conftest) with a migrated SQLite DB and our DAGs folder."""
    dag_runner.configure_airflow(None)
    dag_runner.migrate_db()
    return os.environ["AIRFLOW_HOME"]
