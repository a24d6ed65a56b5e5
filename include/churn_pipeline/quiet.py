"""Warnings a user of these DAGs cannot act on, silenced narrowly: this message, raised from this module only.

Two ways in, because Airflow parses DAG files inside `warnings.catch_warnings()` (to collect their warnings), which
drops any filter a DAG file's imports add once the file is parsed:
* `silence_unactionable_warnings()` for in-process runs (`scripts/dag_runner.py` calls it before Airflow starts);
* `pythonwarnings()`, a `PYTHONWARNINGS` value for Airflow components and their task processes (`make airflow`).
"""

from __future__ import annotations

import re
import warnings

# (start of the message, module whose line triggers it); no ":" or "," (PYTHONWARNINGS syntax).
UNACTIONABLE = (
    # Provider 7.23 builds its User-Agent through the deprecated ProvidersManager.hooks (not ours to change).
    ("ProvidersManager.hooks is deprecated", "airflow.providers.databricks.hooks.databricks_base"),
    # Airflow's in-process execution API (dag.test) imports FastAPI's TestClient, which now prefers httpx2.
    ("Using `httpx` with `starlette.testclient` is deprecated", "fastapi.testclient"),
)


def silence_unactionable_warnings() -> None:
    for message, module in UNACTIONABLE:
        warnings.filterwarnings("ignore", message=re.escape(message), module=re.escape(module) + r"\Z")


def pythonwarnings(existing: str = "") -> str:
    """`existing` (a PYTHONWARNINGS value) plus our filters, in the `action:message:category:module` syntax."""
    ours = [f"ignore:{message}:Warning:{module}" for message, module in UNACTIONABLE]
    return ",".join([existing] + ours if existing else ours)
