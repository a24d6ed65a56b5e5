"""The `local-workspace serve` command: flags, token handling, readiness, restarts and several workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from support.waiting import wait_for

from local_workspace.launcher import WorkspaceStartError, free_port, start_workspace

pytestmark = pytest.mark.slow  # starts, restarts and stops servers of its own


def _serve(args: list[str], env_token: str | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "LOCAL_WORKSPACE_TOKEN"}
    if env_token:
        env["LOCAL_WORKSPACE_TOKEN"] = env_token
    return subprocess.Popen(
        [sys.executable, "-m", "local_workspace", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )


def _read_until_ready(process: subprocess.Popen, timeout: float = 120) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Local workspace ready at "):
            return lines
    raise AssertionError("server never announced readiness:\n" + "\n".join(lines))


def _stop(process: subprocess.Popen) -> str:
    os.killpg(process.pid, signal.SIGTERM)
    rest, _ = process.communicate(timeout=30)
    return rest


def test_generated_token_is_printed_once_and_works(tmp_path):
    port = free_port()
    process = _serve(["--port", str(port), "--data-dir", str(tmp_path / "ws")])
    try:
        lines = _read_until_ready(process)
        token_lines = [line for line in lines if line.startswith("Generated token")]
        assert len(token_lines) == 1
        token = token_lines[0].rsplit(" ", 1)[1]
        assert lines[-1] == f"Local workspace ready at http://127.0.0.1:{port}"
        url = f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search?max_results=1"
        assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30).ok
    finally:
        rest = _stop(process)
    assert token not in rest
    assert token not in "\n".join(lines[1:])


def test_token_from_environment_is_not_printed(tmp_path):
    port = free_port()
    process = _serve(["--port", str(port), "--data-dir", str(tmp_path / "ws")], env_token="env-secret-token")
    try:
        lines = _read_until_ready(process)
        assert not any("env-secret-token" in line for line in lines)
        url = f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search?max_results=1"
        assert requests.get(url, headers={"Authorization": "Bearer env-secret-token"}, timeout=30).ok
    finally:
        _stop(process)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--port", "70000"], "--port"),
        (["--workers", "0"], "at least 1"),
        (["--users-file", "/nonexistent/users.json"], "--users-file"),
    ],
)
def test_bad_flags_fail_clearly_without_creating_state(tmp_path, args, message):
    result = subprocess.run(
        [sys.executable, "-m", "local_workspace", "serve", "--data-dir", str(tmp_path / "ws"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
    assert not (tmp_path / "ws").exists()


@pytest.mark.parametrize(
    "entry,message",
    [
        ({"user": "u", "permission": "CAN_EVERYTHING"}, "CAN_MANAGE"),
        # A misspelt permission would leave the user with CAN_MANAGE: refused, although other keys are allowed.
        ({"user": "u", "perm": "CAN_EDIT"}, "entry 1: unknown key 'perm': did you mean 'permission'?"),
        ({"user": "u", "Permission": "CAN_READ", "note": "bot"}, "did you mean 'permission'?"),
        ({"user": "u", "level": "CAN_READ"}, "unknown key 'level': did you mean 'permission'?"),
        ({"usr": "u", "permission": "CAN_READ"}, "unknown key 'usr': did you mean 'user'?"),
    ],
)
def test_bad_users_file_content(tmp_path, entry, message):
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"t": entry}))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "local_workspace",
            "serve",
            "--data-dir",
            str(tmp_path / "ws"),
            "--users-file",
            str(users),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and message in result.stderr


def test_launcher_reports_a_server_that_cannot_start(tmp_path):
    blocker = free_port()
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", blocker))
        sock.listen()
        with pytest.raises(WorkspaceStartError, match="exited"):
            start_workspace(tmp_path / "ws", port=blocker, timeout=60)


def _api(ws):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {ws.token}"
    return session, ws.url + "/api/2.0/mlflow"


def test_state_survives_restart(tmp_path):
    ws = start_workspace(tmp_path / "ws")
    try:
        http, api = _api(ws)
        http.post(f"{api}/registered-models/create", json={"name": "kept"}, timeout=30).raise_for_status()
        for _ in range(2):
            http.post(
                f"{api}/model-versions/create", json={"name": "kept", "source": "dbfs:/x"}, timeout=30
            ).raise_for_status()
        http.post(
            f"{api}/databricks/model-versions/transition-stage",
            json={"name": "kept", "version": "1", "stage": "Staging", "archive_existing_versions": False},
            timeout=30,
        ).raise_for_status()
        http.post(
            f"{api}/transition-requests/create", json={"name": "kept", "version": "2", "stage": "Staging"}, timeout=30
        ).raise_for_status()
        comment = http.post(
            f"{api}/comments/create", json={"name": "kept", "version": "2", "comment": "note"}, timeout=30
        ).json()["comment"]

        ws = ws.restart()
        http, api = _api(ws)
        listed = http.get(
            f"{api}/transition-requests/list", params={"name": "kept", "version": "2"}, timeout=30
        ).json()["requests"]
        assert [r["to_stage"] for r in listed] == ["Staging"]
        assert http.patch(f"{api}/comments/update", json={"id": comment["id"], "comment": "still here"}, timeout=30).ok
        http.post(
            f"{api}/transition-requests/approve",
            json={"name": "kept", "version": "2", "stage": "Staging", "archive_existing_versions": True},
            timeout=30,
        ).raise_for_status()
        stages = {
            v["version"]: v["current_stage"]
            for v in http.get(f"{api}/databricks/registered-models/get", params={"name": "kept"}, timeout=30).json()[
                "registered_model_databricks"
            ]["latest_versions"]
        }
        assert stages == {"1": "Archived", "2": "Staging"}
    finally:
        ws.stop()
        ws.stop()  # idempotent
    assert ws.process.poll() is not None


def test_two_workers_share_state(tmp_path):
    with start_workspace(tmp_path / "ws", workers=2) as ws:
        # /health answers as soon as one worker is up: wait for the second before testing how they share state.
        wait_for(
            lambda: ws.log_path.read_text().count("Application startup complete") >= 2,
            timeout=120,
            what="the second worker to start",
        )
        http, api = _api(ws)
        http.post(f"{api}/registered-models/create", json={"name": "shared"}, timeout=30).raise_for_status()
        http.post(
            f"{api}/model-versions/create", json={"name": "shared", "source": "dbfs:/x"}, timeout=30
        ).raise_for_status()

        def create(_):
            # New connections, so requests spread over both worker processes.
            return requests.post(
                f"{api}/transition-requests/create",
                json={"name": "shared", "version": "1", "stage": "Staging"},
                headers={"Authorization": f"Bearer {ws.token}"},
                timeout=60,
            ).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = sorted(pool.map(create, range(8)))
        assert statuses == [200] + [409] * 7

        def listed(_):
            return len(
                requests.get(
                    f"{api}/transition-requests/list",
                    params={"name": "shared", "version": "1"},
                    headers={"Authorization": f"Bearer {ws.token}"},
                    timeout=60,
                ).json()["requests"]
            )

        with ThreadPoolExecutor(4) as pool:
            assert set(pool.map(listed, range(12))) == {1}

        def approve(_):
            return requests.post(
                f"{api}/transition-requests/approve",
                json={"name": "shared", "version": "1", "stage": "Staging", "archive_existing_versions": True},
                headers={"Authorization": f"Bearer {ws.token}"},
                timeout=60,
            ).status_code

        # Concurrent decisions on one request: exactly one wins, the rest find no open request.
        with ThreadPoolExecutor(4) as pool:
            assert sorted(pool.map(approve, range(4))) == [200, 404, 404, 404]


def test_airflow_databricks_hook_uses_the_launcher_connection(databricks_env, model_name):
    """`airflow_connection_json()` is a connection the provider's hook accepts as is (http scheme, port, token)."""
    from airflow.providers.databricks.hooks.databricks import DatabricksHook

    hook = DatabricksHook()
    assert "experiments" in hook._do_api_call(("GET", "2.0/mlflow/experiments/search"), {"max_results": 1})
    with pytest.raises(Exception, match="RESOURCE_DOES_NOT_EXIST"):
        hook._do_api_call(("GET", "2.0/mlflow/databricks/registered-models/get"), {"name": model_name})
