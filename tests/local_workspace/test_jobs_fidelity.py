"""Jobs API details that databricks-sdk's types and documentation pin down: durations of a multi-task run,
`runs/list` paging and time filters, `get-output` without logs for notebook tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from support.run_logs import run_page_logs

pytestmark = pytest.mark.notebook  # runs notebooks through the Jobs API

NOTEBOOKS = "/Workspace/tests/local_workspace/notebooks"
WAIT = timedelta(minutes=3)


@pytest.fixture()
def client(workspace) -> WorkspaceClient:
    return WorkspaceClient(host=workspace.url, token=workspace.token)


def hello(key: str, *depends_on: str) -> jobs.SubmitTask:
    return jobs.SubmitTask(
        task_key=key,
        notebook_task=jobs.NotebookTask(notebook_path=f"{NOTEBOOKS}/hello", base_parameters={"name": key}),
        depends_on=[jobs.TaskDependency(task_key=d) for d in depends_on],
    )


def test_multi_task_parent_reports_its_time_in_run_duration_only(client):
    run = client.jobs.submit(run_name="durations", tasks=[hello("a"), hello("b", "a")]).result(WAIT)
    assert (run.setup_duration, run.execution_duration, run.cleanup_duration) == (0, 0, 0)
    assert run.run_duration == run.end_time - run.start_time > 0
    for task in run.tasks:
        assert task.execution_duration > 0
        assert run.run_duration >= task.setup_duration + task.execution_duration


def test_notebook_output_has_no_logs_but_the_run_page_shows_them(client, workspace):
    run = client.jobs.submit(run_name="logs", tasks=[hello("printer")]).result(WAIT)
    raw = requests.get(
        f"{workspace.url}/api/2.2/jobs/runs/get-output",
        params={"run_id": run.tasks[0].run_id},
        headers={"Authorization": f"Bearer {workspace.token}"},
        timeout=30,
    ).json()
    assert "notebook_output" in raw and "logs" not in raw and "logs_truncated" not in raw
    assert "hello printer." in run_page_logs(run.run_page_url, workspace.token)


def test_list_runs_limit_zero_means_the_maximum(client, workspace):
    # Runs of a missing notebook end at once, without starting a process.
    missing = jobs.SubmitTask(task_key="t", notebook_task=jobs.NotebookTask(notebook_path="/Shared/missing"))
    for i in range(26):
        client.jobs.submit(run_name=f"limit {i}", tasks=[missing])
    answer = requests.get(
        f"{workspace.url}/api/2.2/jobs/runs/list",
        params={"limit": 0},
        headers={"Authorization": f"Bearer {workspace.token}"},
        timeout=30,
    ).json()
    assert len(answer["runs"]) == 25 and answer["has_more"] is True


def test_start_time_filters_use_the_start_time_not_the_submit_time(client):
    run = client.jobs.submit(run_name="start time", tasks=[hello("t")]).result(WAIT)
    assert run.queue_duration > 0  # submitted before it started: the two filters disagree on this run
    started = {r.run_id for r in client.jobs.list_runs(start_time_from=run.start_time, limit=25)}
    assert run.run_id in started
    before = {r.run_id for r in client.jobs.list_runs(start_time_to=run.start_time - 1, limit=25)}
    assert run.run_id not in before
