"""The DAG tests' helpers (dagtest_support) live in this folder, which is not a package; the Airflow DB and
the workspace are the session's (tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

# Stub Databricks notebooks, run by the local workspace: one is named like a test module, so pytest must not collect them.
collect_ignore = ["stub_notebooks"]
