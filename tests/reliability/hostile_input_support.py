"""Helpers of the hostile-input and crashed-run tests: a workspace of their own, state snapshots, polling.

(Not a conftest: other modules in tests/reliability/ bring their own fixtures.)
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import requests
from support.waiting import wait_for  # noqa: F401  (re-exported: the folder's modules import it from here)

# Tables whose rows must not change when a request is rejected: registry state in both databases, job runs,
# MLflow tracking entities.
WORKSPACE_TABLES = ("registry_transition_requests", "registry_activities", "registry_comments", "job_runs")
MLFLOW_TABLES = (
    "registered_models",
    "model_versions",
    "registered_model_tags",
    "model_version_tags",
    "registered_model_aliases",
    "experiments",
    "runs",
    "params",
    "tags",
    "metrics",
)


def api_session(ws) -> requests.Session:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {ws.token}"
    return http


def _rows(db: Path, table: str) -> list[tuple]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        exists = connection.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
        return sorted(map(repr, connection.execute(f'SELECT * FROM "{table}"'))) if exists else []
    finally:
        connection.close()


def state_snapshot(data_dir: Path) -> dict[str, list]:
    """Every row of the registry, job-run and tracking tables, plus the artifact files (names and sizes)."""
    snapshot = {f"workspace.{t}": _rows(data_dir / "workspace.db", t) for t in WORKSPACE_TABLES}
    snapshot.update({f"mlflow.{t}": _rows(data_dir / "mlflow.db", t) for t in MLFLOW_TABLES})
    artifacts = data_dir / "artifacts"
    snapshot["artifacts"] = (
        sorted((str(p.relative_to(artifacts)), p.stat().st_size) for p in artifacts.rglob("*") if p.is_file())
        if artifacts.is_dir()
        else []
    )
    return snapshot


def integrity_check(db: Path) -> str:
    connection = sqlite3.connect(str(db), timeout=30)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def runner_pids(directory: Path) -> list[int]:
    """Notebook runner processes whose command line names a file below `directory`."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if b"local_workspace.runner" in cmdline and str(directory).encode() in cmdline:
                found.append(int(proc.name))
    return found


def assert_databricks_error(response: requests.Response, *, status_range=range(400, 500)) -> dict:
    """A 4xx answer in Databricks' JSON error shape: {"error_code": "UPPER_CASE", "message": "..."}."""
    assert response.status_code in status_range, (response.status_code, response.text[:300])
    assert response.headers.get("content-type", "").startswith("application/json"), response.text[:300]
    body = response.json()
    assert isinstance(body.get("error_code"), str) and body["error_code"].isupper(), body
    assert isinstance(body.get("message"), str) and body["message"], body
    return body
