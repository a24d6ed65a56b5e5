"""Bad-input corpus: every malformed request to the registry, Jobs, Files and auth endpoints answers 4xx in
Databricks' JSON error shape (never 500, never an HTML page) and changes nothing (registry, runs, artifacts).

The cases are data (hostile_input_cases.py); this module replays them over real HTTP against a workspace of its
own that holds a model version, an open transition request, a comment and an artifact file.
"""

from __future__ import annotations

import http.client
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from hostile_input_cases import (
    ARTIFACT,
    LOGIN_CASES,
    MODEL,
    Case,
    all_cases,
)
from hostile_input_support import api_session, assert_databricks_error, state_snapshot, wait_for

from local_workspace.launcher import start_workspace

pytestmark = pytest.mark.slow  # a seeded workspace of its own and a corpus of 200+ hostile requests

CASES = all_cases()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A workspace with state worth protecting."""
    ws = start_workspace(data_dir=tmp_path_factory.mktemp("hostile-input"))
    try:
        http = api_session(ws)
        api = f"{ws.url}/api/2.0/mlflow"
        for call, body in [
            ("registered-models/create", {"name": MODEL}),
            ("model-versions/create", {"name": MODEL, "source": "dbfs:/databricks/mlflow-tracking/1"}),
            ("transition-requests/create", {"name": MODEL, "version": "1", "stage": "Staging", "comment": "please"}),
            ("comments/create", {"name": MODEL, "version": "1", "comment": "looks fine"}),
        ]:
            http.post(f"{api}/{call}", json=body, timeout=120).raise_for_status()
        http.put(f"{ws.url}/api/2.0/fs/files{ARTIFACT}", data=b"artifact", timeout=120).raise_for_status()
        yield ws
    finally:
        ws.stop()


def _send(ws, case: Case):
    http = api_session(ws)
    if case.auth is not None:
        http.headers.pop("Authorization")
        if case.auth:
            http.headers["Authorization"] = case.auth
    return http.request(
        case.method,
        ws.url + case.path,
        params=case.params,
        json=case.json,
        data=case.data,
        headers=case.headers,
        timeout=300,
        allow_redirects=False,
    )


def test_the_corpus_is_large_enough():
    assert len(CASES) + len(LOGIN_CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_4xx_json_and_changes_nothing(seeded, case):
    ws = seeded
    before = state_snapshot(ws.data_dir)
    response = _send(ws, case)
    body = assert_databricks_error(response)
    if case.status is not None:
        assert response.status_code == case.status, body
    if case.error_code is not None:
        assert body["error_code"] == case.error_code, body
    assert len(response.content) < 4096, "an error must not echo the oversized input back"
    assert state_snapshot(ws.data_dir) == before


@pytest.mark.parametrize("case", LOGIN_CASES, ids=[c.id for c in LOGIN_CASES])
def test_bad_login_is_refused_without_a_session(seeded, case):
    """/login is the browser's form (HTML by design): a bad attempt is a 4xx page and sets no session cookie."""
    ws = seeded
    before = state_snapshot(ws.data_dir)
    response = _send(ws, case)
    assert 400 <= response.status_code < 500, response.status_code
    assert "set-cookie" not in response.headers
    assert state_snapshot(ws.data_dir) == before


def test_an_upload_declared_larger_than_the_limit_is_refused_before_reading_it(seeded):
    ws = seeded
    before = state_snapshot(ws.data_dir)
    connection = http.client.HTTPConnection(ws.host, ws.port, timeout=120)
    try:
        connection.putrequest("PUT", f"/api/2.0/fs/files{ARTIFACT}.big")
        connection.putheader("Authorization", f"Bearer {ws.token}")
        connection.putheader("Content-Length", str(6 * 1024**3))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert b"REQUEST_LIMIT_EXCEEDED" in response.read()
    finally:
        connection.close()
    assert state_snapshot(ws.data_dir) == before


def test_runs_list_pages_stay_small_however_large_the_runs(seeded):
    """Runs within every limit can still be large (100 tasks x 10 kB of parameters): a runs/list page with
    expand_tasks stops at about 4 MB and hands out a next_page_token instead of growing to tens of MB."""
    ws = seeded
    http = api_session(ws)
    api = f"{ws.url}/api/2.2/jobs"
    tasks = [
        {
            "task_key": f"t{i}",
            "notebook_task": {"notebook_path": "/Shared/does-not-exist", "base_parameters": {"p": "v" * 9_900}},
        }
        for i in range(100)
    ]
    run_ids = []
    for n in range(6):
        answer = http.post(f"{api}/runs/submit", json={"run_name": f"large {n}", "tasks": tasks}, timeout=300)
        answer.raise_for_status()
        run_ids.append(answer.json()["run_id"])
    seen, token, pages = [], None, 0
    while True:
        params = {"expand_tasks": "true", "limit": 25, **({"page_token": token} if token else {})}
        page = http.get(f"{api}/runs/list", params=params, timeout=300)
        page.raise_for_status()
        assert len(page.content) < 6 * 1024 * 1024
        seen += [run["run_id"] for run in page.json()["runs"]]
        pages += 1
        token = page.json().get("next_page_token")
        if not token:
            break
    assert pages > 1
    assert set(run_ids) <= set(seen) and len(seen) == len(set(seen))

    # Let the runs end (their notebook does not exist) so no later test sees them change.
    def ended(run_id: int) -> bool:
        state = http.get(f"{api}/runs/get", params={"run_id": run_id}, timeout=60).json()["state"]
        return state["life_cycle_state"] in ("TERMINATED", "INTERNAL_ERROR")

    wait_for(lambda: all(ended(run_id) for run_id in run_ids), what=f"runs {run_ids} to end")


def test_limits_admit_input_right_at_them(seeded):
    """The limits reject only what is beyond them: a comment of exactly the limit and a 19-digit version pass
    the guard (the version then simply does not exist)."""
    ws = seeded
    http = api_session(ws)
    api = f"{ws.url}/api/2.0/mlflow"
    answer = http.post(
        f"{api}/comments/create", json={"name": MODEL, "version": "1", "comment": "c" * 65_536}, timeout=120
    )
    assert answer.status_code == 200, answer.text[:300]
    assert len(answer.json()["comment"]["comment"]) == 65_536
    missing = http.get(
        f"{api}/transition-requests/list", params={"name": MODEL, "version": str(2**63 - 1)}, timeout=120
    )
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_nesting_is_counted_outside_strings_only():
    from local_workspace.request_guard import MAX_JSON_DEPTH, check_json_body, json_depth

    assert json_depth(json.loads(json.dumps({"comment": "[" * 10_000 + "{" * 10_000}))) == 1
    assert json_depth(json.loads("[" * 64 + "]" * 64)) == 64
    assert json_depth({"a": "x", "b": [[[]]], "c": {}}) == 4
    check_json_body(("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode(), "/api/2.0/mlflow/x")
    # An unterminated string full of escaped quotes costs one linear pass, not a quadratic scan.
    check_json_body(b"[" * 100 + b'"' + b'\\"' * 2_000_000, "/api/2.0/mlflow/x")
