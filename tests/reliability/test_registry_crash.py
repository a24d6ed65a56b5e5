"""kill -9 of the server in the middle of an approval, then a restart: the approval is fully applied or not at all.

An approval writes two databases: the stage in MLflow's `mlflow.db`, the request and activities in `workspace.db`.
`registry_faults/sitecustomize.py` stops the server inside MLflow's stage transaction of the approved version
(before or right after its commit); the test then SIGKILLs the whole process group at that exact point.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

import pytest
import requests
from support.waiting import wait_for

sys.path.insert(0, str(Path(__file__).parent))  # helpers live next to the tests (this folder has no conftest)
from _registry_support import (
    APPROVE,
    DATABRICKS_TRANSITION,
    Api,
    activities,
    integrity_check,
    request_statuses,
    unique_model,
)

from local_workspace.launcher import start_workspace

pytestmark = pytest.mark.slow  # kills and restarts servers mid-approval

FAULTS_DIR = Path(__file__).parent / "registry_faults"


def _wait_for_fault_point(path: Path, server, timeout: float = 180.0) -> None:
    def reached() -> bool:
        assert server.process.poll() is None, "the server exited before reaching the fault point"
        return path.exists()

    wait_for(reached, timeout=timeout, what=f"the server to reach the fault point ({path})", interval=0.05)


def _kill_group(server) -> None:
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(60)


def _approve_in_background(api: Api, name: str, version: str) -> threading.Thread:
    body = {"name": name, "version": version, "stage": "Production", "archive_existing_versions": True}

    def call():
        with contextlib.suppress(requests.RequestException):  # the server dies under it: that is the point
            api.call("POST", APPROVE, json=body, timeout=600)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread


def _server_stopped_mid_approval(tmp_path: Path, point: str, workers: int):
    """v1 in Production, an open request for v2; the approval of v2 (with archiving) is stopped at `point`.

    Returns (server, api, model name, pid of the process that stopped)."""
    data_dir, marker, name = tmp_path / "ws", tmp_path / "fault-reached", unique_model("crash")
    fault_env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(FAULTS_DIR), os.environ.get("PYTHONPATH")])),
        "REGISTRY_FAULT_POINT": point,
        "REGISTRY_FAULT_MODEL": name,
        "REGISTRY_FAULT_VERSION": "2",
        "REGISTRY_FAULT_MARKER": str(marker),
    }
    server = start_workspace(data_dir, workers=workers, extra_env=fault_env, timeout=300)
    try:
        api = Api(server.url, server.token)
        api.new_model(name, 3)
        assert api.change_stage(DATABRICKS_TRANSITION, name, "1", "Production", True).status_code == 200
        api.request_transition(name, "2", "Production")
        _approve_in_background(api, name, "2")
        _wait_for_fault_point(marker, server)
    except BaseException:
        server.stop()
        raise
    return server, api, name, int(marker.read_text())


def _assert_fully_approved(api: Api, data_dir: Path, name: str) -> None:
    assert api.stages(name, ["1", "2"]) == {"1": "Archived", "2": "Production"}
    assert _decisions(data_dir, name) == [("APPROVED_REQUEST", "2"), ("SYSTEM_TRANSITION", "1")]
    assert request_statuses(data_dir, name) == {("2", "APPROVED"): 1}
    assert api.open_requests(name, "2") == []


def _decisions(data_dir: Path, name: str) -> list[tuple[str, str]]:
    return sorted(
        (a["activity_type"], a["version"])
        for a in activities(data_dir, name)
        if a["activity_type"] in ("APPROVED_REQUEST", "SYSTEM_TRANSITION")
    )


@pytest.mark.parametrize(
    "point,workers", [("after_mlflow_commit", 1), ("after_mlflow_commit", 2), ("before_mlflow_commit", 1)]
)
def test_killed_approval_is_all_or_nothing_after_restart(tmp_path, point, workers):
    server, _, name, _ = _server_stopped_mid_approval(tmp_path, point, workers)
    data_dir = server.data_dir
    try:
        _kill_group(server)
    finally:
        server.stop()

    server = start_workspace(data_dir, token=server.token, workers=workers, timeout=300)
    try:
        api = Api(server.url, server.token)
        stages = api.stages(name, ["1", "2", "3"])
        if point == "after_mlflow_commit" or stages["2"] == "Production":
            # MLflow committed the stage: the request and its activities must be there too.
            _assert_fully_approved(api, data_dir, name)
        else:
            assert stages == {"1": "Production", "2": "None", "3": "None"}
            assert _decisions(data_dir, name) == []
            assert request_statuses(data_dir, name) == {("2", "OPEN"): 1}

        # Nothing stays locked by the killed writer: the next approval goes through and archives the holder.
        holder = "2" if stages["2"] == "Production" else "1"
        api.request_transition(name, "3", "Production")
        api.ok(
            "POST",
            APPROVE,
            json={"name": name, "version": "3", "stage": "Production", "archive_existing_versions": True},
        )
        assert api.stage(name, holder) == "Archived"
        assert api.stage(name, "3") == "Production"
    finally:
        server.stop()
    assert integrity_check(data_dir / "mlflow.db") == "ok"
    assert integrity_check(data_dir / "workspace.db") == "ok"


def test_approval_left_by_a_killed_worker_is_finished_by_the_next_stage_write(tmp_path):
    """Only the worker serving the approval dies (the server keeps running): by the time the next stage write
    answers, the approval is finished — by uvicorn's replacement worker at its start-up, or by that write itself
    (whichever takes the stage lock first)."""
    server, api, name, stopped_pid = _server_stopped_mid_approval(tmp_path, "after_mlflow_commit", workers=2)
    try:
        assert stopped_pid != server.process.pid  # a worker, not uvicorn's supervisor
        os.kill(stopped_pid, signal.SIGKILL)
        api.ok(
            "POST",
            DATABRICKS_TRANSITION,
            json={"name": name, "version": "3", "stage": "Staging", "archive_existing_versions": True},
        )
        _assert_fully_approved(api, server.data_dir, name)
        assert api.stage(name, "3") == "Staging"
    finally:
        server.stop()
    assert integrity_check(server.data_dir / "mlflow.db") == "ok"
    assert integrity_check(server.data_dir / "workspace.db") == "ok"


def test_reads_of_open_requests_finish_an_approval_left_by_a_killed_worker(tmp_path):
    """The worker dies after MLflow committed the stage but before closing the request: a reader must never see
    the version in Production with its request still open. uvicorn's supervisor is paused meanwhile, so no
    replacement worker can roll it forward at its start-up: the read itself, on the surviving worker, must."""
    server, api, name, stopped_pid = _server_stopped_mid_approval(tmp_path, "after_mlflow_commit", workers=2)
    try:
        assert stopped_pid != server.process.pid
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            os.kill(stopped_pid, signal.SIGKILL)
            assert api.open_requests(name, "2") == []
            assert request_statuses(server.data_dir, name) == {("2", "APPROVED"): 1}
            _assert_fully_approved(api, server.data_dir, name)
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
    finally:
        server.stop()
    assert integrity_check(server.data_dir / "workspace.db") == "ok"


def test_an_error_after_mlflow_committed_still_finishes_the_approval(tmp_path):
    """MLflow's stage transaction commits, then its call raises: the change is in `mlflow.db`, so the approval
    must be finished (request closed, activities written), not marked failed with its request left open."""
    name = unique_model("late-error")
    fault_env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(FAULTS_DIR), os.environ.get("PYTHONPATH")])),
        "REGISTRY_FAULT_POINT": "error_after_mlflow_commit",
        "REGISTRY_FAULT_MODEL": name,
        "REGISTRY_FAULT_VERSION": "2",
        "REGISTRY_FAULT_MARKER": str(tmp_path / "unused"),
    }
    server = start_workspace(tmp_path / "ws", workers=1, extra_env=fault_env, timeout=300)
    try:
        api = Api(server.url, server.token)
        api.new_model(name, 2)
        assert api.change_stage(DATABRICKS_TRANSITION, name, "1", "Production", True).status_code == 200
        api.request_transition(name, "2", "Production")
        api.ok(
            "POST",
            APPROVE,
            json={"name": name, "version": "2", "stage": "Production", "archive_existing_versions": True},
        )
        _assert_fully_approved(api, server.data_dir, name)
    finally:
        server.stop()
