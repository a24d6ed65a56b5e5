"""Helpers for the registry reliability tests: raw HTTP calls, concurrent writers, and direct reads of both DBs.

The activities have no list endpoint, so the tests read them from `workspace.db` (read-only, WAL allows it while
the server runs); stages are read over HTTP from MLflow's own `model-versions/get`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import Counter
from pathlib import Path

import requests

# Every stage-changing endpoint the races mix: (name, HTTP method, path under /api/2.0/mlflow).
DATABRICKS_TRANSITION = "databricks/model-versions/transition-stage"
APPROVE = "transition-requests/approve"
MLFLOW_TRANSITION = "model-versions/transition-stage"


def unique_model(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{os.urandom(3).hex()}"


class Api:
    def __init__(self, url: str, token: str):
        self.base = url + "/api/2.0/mlflow"
        self.session_headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, timeout: float = 120, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.base}/{path}", headers=self.session_headers, timeout=timeout, **kwargs)

    def ok(self, method: str, path: str, **kwargs) -> dict:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def new_model(self, name: str, n_versions: int) -> list[str]:
        self.ok("POST", "registered-models/create", json={"name": name})
        return [
            self.ok("POST", "model-versions/create", json={"name": name, "source": "dbfs:/x"})["model_version"][
                "version"
            ]
            for _ in range(n_versions)
        ]

    def stage(self, name: str, version: str) -> str:
        return self.ok("GET", "model-versions/get", params={"name": name, "version": version})["model_version"][
            "current_stage"
        ]

    def stages(self, name: str, versions: list[str]) -> dict[str, str]:
        return {v: self.stage(name, v) for v in versions}

    def request_transition(self, name: str, version: str, stage: str) -> None:
        self.ok("POST", "transition-requests/create", json={"name": name, "version": version, "stage": stage})

    def open_requests(self, name: str, version: str) -> list[dict]:
        return self.ok("GET", "transition-requests/list", params={"name": name, "version": version})["requests"]

    def change_stage(self, endpoint: str, name: str, version: str, stage: str, archive: bool) -> requests.Response:
        body = {"name": name, "version": version, "stage": stage, "archive_existing_versions": archive}
        return self.call("POST", endpoint, json=body)


def run_concurrently(calls) -> list:
    """Run the zero-argument callables at once (released together by a barrier); results in call order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads), "a writer never returned"
    return results


def activities(data_dir: Path, name: str) -> list[dict]:
    with closing_ro(data_dir / "workspace.db") as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT * FROM registry_activities WHERE model_name = ? ORDER BY creation_timestamp", (name,)
        ).fetchall()
    return [dict(r) for r in rows]


def request_statuses(data_dir: Path, name: str) -> Counter:
    with closing_ro(data_dir / "workspace.db") as conn:
        rows = conn.execute(
            "SELECT version, status FROM registry_transition_requests WHERE model_name = ?", (name,)
        ).fetchall()
    return Counter(rows)


def integrity_check(db_path: Path) -> str:
    with closing_ro(db_path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


class closing_ro:
    """A read-only connection (never creates the file, never writes)."""

    def __init__(self, path: Path):
        assert path.exists(), path
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc) -> None:
        self.conn.close()


def archived_by(acts: list[dict]) -> dict[str, str]:
    """version -> the version whose transition archived it, from the SYSTEM_TRANSITION activities."""
    result = {}
    for act in acts:
        if act["activity_type"] != "SYSTEM_TRANSITION":
            continue
        assert act["version"] not in result, f"version {act['version']} archived twice: {acts}"
        # "Archived because version N was transitioned to Production."
        result[act["version"]] = act["system_comment"].split("version ", 1)[1].split(" ", 1)[0]
    return result


def assert_serial_history(acts: list[dict], versions: list[str], winner: str, stage: str) -> None:
    """All `versions` went to `stage` with archiving: the activities must read as one serial history.

    In any serial order each transition archives exactly the previous holder, so the SYSTEM_TRANSITION
    activities form one chain first -> ... -> winner through every version, each archived exactly once.
    """
    by = archived_by(acts)
    assert set(by) == set(versions) - {winner}, f"archived {sorted(by)}; winner {winner}"
    assert all(
        a["from_stage"] == stage and a["to_stage"] == "Archived"
        for a in acts
        if a["activity_type"] == "SYSTEM_TRANSITION"
    )
    archivers = list(by.values())
    assert len(set(archivers)) == len(archivers), f"one transition archived two holders: {by}"
    (first,) = set(versions) - set(archivers)  # the one transition that archived nobody
    chain = [first]
    while chain[-1] in by:
        chain.append(by[chain[-1]])
    assert chain[-1] == winner and sorted(chain) == sorted(versions), f"not one serial history: {by}"
    transitions = [a for a in acts if a["activity_type"] in ("APPLIED_TRANSITION", "APPROVED_REQUEST")]
    assert sorted(a["version"] for a in transitions) == sorted(versions)
    assert all(a["to_stage"] == stage for a in transitions)
