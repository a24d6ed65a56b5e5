"""Queueing of saved jobs by API version: Databricks' "Updating from Jobs API 2.1 to 2.2" -- jobs created with 2.2
queue by default (a run-now beyond `max_concurrent_runs` waits instead of being skipped), 2.0/2.1 ones do not."""

from __future__ import annotations

import os

import pytest
import requests
from databricks.sdk import WorkspaceClient

HELLO = {"task_key": "t", "notebook_task": {"notebook_path": "/Workspace/tests/local_workspace/notebooks/hello"}}


def _auth(workspace) -> dict[str, str]:
    return {"Authorization": f"Bearer {workspace.token}"}


def _create(workspace, version: str, **settings) -> int:
    body = {"name": f"queue {version} {os.urandom(3).hex()}", "tasks": [HELLO], **settings}
    response = requests.post(
        f"{workspace.url}/api/{version}/jobs/create", json=body, headers=_auth(workspace), timeout=30
    )
    response.raise_for_status()
    return response.json()["job_id"]


def _queue(workspace, job_id: int) -> object:
    response = requests.get(
        f"{workspace.url}/api/2.2/jobs/get", params={"job_id": job_id}, headers=_auth(workspace), timeout=30
    )
    response.raise_for_status()
    return response.json()["settings"].get("queue")


def test_jobs_created_with_api_2_2_queue_by_default(workspace):
    job_id = _create(workspace, "2.2")
    assert _queue(workspace, job_id) == {"enabled": True}
    sdk_job = WorkspaceClient(host=workspace.url, token=workspace.token).jobs.get(job_id)
    assert sdk_job.settings.queue is not None and sdk_job.settings.queue.enabled is True


@pytest.mark.parametrize(
    ("version", "settings", "expected"),
    [
        ("2.1", {}, None),
        ("2.1", {"queue": {"enabled": True}}, {"enabled": True}),
        ("2.2", {"queue": {"enabled": False}}, {"enabled": False}),
    ],
)
def test_api_2_1_jobs_and_an_explicit_queue_setting_keep_what_was_asked(workspace, version, settings, expected):
    assert _queue(workspace, _create(workspace, version, **settings)) == expected
