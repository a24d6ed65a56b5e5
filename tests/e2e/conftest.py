"""The end-to-end tests use the DAG tests' helpers (tests/dags/dagtest_support.py), which are not a package.

Their workspace, Airflow DB and trained model are the session's (tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

DAG_TESTS = Path(__file__).resolve().parents[1] / "dags"
if str(DAG_TESTS) not in sys.path:
    sys.path.insert(0, str(DAG_TESTS))
