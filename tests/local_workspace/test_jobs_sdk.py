"""Jobs API runs/* through an unmodified databricks-sdk WorkspaceClient against a started local workspace."""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import islice
from pathlib import Path

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, OperationFailed, ResourceDoesNotExist
from databricks.sdk.service import jobs
from support.run_logs import run_page_logs
from support.waiting import wait_for

pytestmark = pytest.mark.notebook  # runs notebooks through the Jobs API

NOTEBOOKS = "/Workspace/tests/local_workspace/notebooks"
WAIT = timedelta(minutes=3)


@pytest.fixture()
def client(workspace) -> WorkspaceClient:
    return WorkspaceClient(host=workspace.url, token=workspace.token)


def notebook_task(key: str, notebook: str, depends_on: list[str] | None = None, **params) -> jobs.SubmitTask:
    return jobs.SubmitTask(
        task_key=key,
        notebook_task=jobs.NotebookTask(notebook_path=f"{NOTEBOOKS}/{notebook}", base_parameters=params),
        depends_on=[jobs.TaskDependency(task_key=d) for d in depends_on or []],
    )


def test_submit_wait_and_read_the_notebook_exit_value(client, workspace):
    run = client.jobs.submit(run_name="sdk hello", tasks=[notebook_task("hello", "hello", name="SDK")]).result(WAIT)
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    assert run.status.state == jobs.RunLifecycleStateV2State.TERMINATED
    assert run.status.termination_details.code == jobs.TerminationCodeCode.SUCCESS
    assert run.run_type == jobs.RunType.SUBMIT_RUN
    assert run.run_name == "sdk hello" and run.creator_user_name == workspace.user
    assert run.run_page_url.startswith(workspace.url) and str(run.run_id) in run.run_page_url
    assert run.start_time > 0 and run.end_time >= run.start_time
    (task,) = run.tasks
    assert task.task_key == "hello" and task.run_id != run.run_id
    assert task.notebook_task.base_parameters == {"name": "SDK"}
    output = client.jobs.get_run_output(task.run_id)
    assert json.loads(output.notebook_output.result) == {"greeting": "hello SDK."}
    assert output.notebook_output.truncated is False
    assert output.metadata.run_id == task.run_id and output.metadata.tasks[0].task_key == "hello"
    assert output.logs is None  # as Databricks for notebook tasks: the run page shows what it printed
    assert "hello SDK." in run_page_logs(run.run_page_url, workspace.token)
    # Databricks refuses the parent id of a tasks[] run even when it has a single task.
    with pytest.raises(InvalidParameterValue, match="Retrieving the output of runs with multiple tasks"):
        client.jobs.get_run_output(run.run_id)


def test_parent_run_output_is_refused_like_databricks(client):
    run = client.jobs.submit(
        run_name="two tasks",
        tasks=[
            notebook_task("first", "hello", name="one"),
            notebook_task("second", "hello", ["first"], name="two"),
        ],
    ).result(WAIT)
    with pytest.raises(InvalidParameterValue, match="Retrieving the output of runs with multiple tasks"):
        client.jobs.get_run_output(run.run_id)
    first, second = run.tasks
    assert [first.task_key, second.task_key] == ["first", "second"]
    assert second.start_time >= first.end_time  # dependency order
    assert json.loads(client.jobs.get_run_output(second.run_id).notebook_output.result)["greeting"] == "hello two."


def test_notebook_exception_fails_the_run_with_error_and_trace(client):
    waiter = client.jobs.submit(
        run_name="fails", tasks=[notebook_task("boom", "fails"), notebook_task("after", "hello", ["boom"])]
    )
    run = waiter.result(WAIT)
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED
    assert run.state.result_state == jobs.RunResultState.FAILED
    assert "Task boom failed" in run.state.state_message
    boom, after = run.tasks
    assert boom.state.result_state == jobs.RunResultState.FAILED
    assert after.state.result_state == jobs.RunResultState.UPSTREAM_FAILED
    output = client.jobs.get_run_output(boom.run_id)
    assert output.error == "ValueError: bad value 42"
    # The trace points at the notebook's own failing line (found in the file: the formatter may move it).
    source = (Path(__file__).parent / "notebooks" / "fails.py").read_text().splitlines()
    assert f'fails.py", line {source.index("check(42)") + 1}' in output.error_trace
    assert output.notebook_output is None


def test_missing_notebook_fails_clearly(client):
    with pytest.raises(OperationFailed, match="no such notebook"):
        client.jobs.submit(run_name="missing", tasks=[notebook_task("x", "no_such_notebook")]).result(WAIT)


def test_notebook_env_points_back_at_the_workspace_without_leaking_the_token(client, workspace):
    run = client.jobs.submit(run_name="env", tasks=[notebook_task("env", "env.py")]).result(WAIT)
    output = client.jobs.get_run_output(run.tasks[0].run_id)
    seen = json.loads(output.notebook_output.result)
    assert seen["api_status"] == 200  # the notebook called the Jobs API with the submitter's token
    assert seen["host"] == workspace.url
    assert seen["tracking_uri"] == "databricks" and seen["registry_uri"] == "databricks"
    assert seen["warehouse_dir"] == str(workspace.data_dir / "warehouse")
    assert seen["cwd"].endswith("tests/local_workspace/notebooks")
    logs = run_page_logs(run.run_page_url, workspace.token)
    raw = json.dumps(client.jobs.get_run(run.run_id).as_dict()) + output.notebook_output.result + logs
    assert workspace.token not in raw
    assert seen["token_echo"] == "[REDACTED]"


def test_unknown_run_answers_like_databricks(client, workspace):
    # Databricks answers 400 INVALID_PARAMETER_VALUE "Run N does not exist."; the SDK maps that to ResourceDoesNotExist.
    answer = requests.get(
        f"{workspace.url}/api/2.2/jobs/runs/get",
        params={"run_id": 987654321},
        headers={"Authorization": f"Bearer {workspace.token}"},
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json() == {"error_code": "INVALID_PARAMETER_VALUE", "message": "Run 987654321 does not exist."}
    with pytest.raises(ResourceDoesNotExist, match="Run 987654321 does not exist"):
        client.jobs.get_run(987654321)
    with pytest.raises(ResourceDoesNotExist, match="does not exist"):
        client.jobs.get_run_output(987654321)
    with pytest.raises(InvalidParameterValue, match="does not exist"):
        client.jobs.cancel_run(987654321)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"run_name": "no tasks"}, "At least one task is required"),
        ({"tasks": [{"task_key": "a"}]}, "Missing required field: tasks[0].notebook_task"),
        (
            {"tasks": [{"task_key": "a", "spark_python_task": {"python_file": "x.py"}}]},
            "spark_python_task is not supported",
        ),
        (
            {"tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/x"}, "depends_on": [{"task_key": "b"}]}]},
            "depends on 'b'",
        ),
        (
            {
                "tasks": [
                    {"task_key": "a", "notebook_task": {"notebook_path": "/x"}, "depends_on": [{"task_key": "b"}]},
                    {"task_key": "b", "notebook_task": {"notebook_path": "/x"}, "depends_on": [{"task_key": "a"}]},
                ]
            },
            "cycle",
        ),
        (
            {"idempotency_token": "x" * 65, "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/x"}}]},
            "at most 64 characters",
        ),
        (
            {"timeout_seconds": -1, "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/x"}}]},
            "non-negative integer",
        ),
        (
            {
                "git_source": {"git_url": "https://github.com/x/y", "git_provider": "gitHub", "git_branch": "main"},
                "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "nb"}}],
            },
            "only checks out local repositories",
        ),
    ],
)
def test_invalid_submissions_are_rejected_and_create_no_run(workspace, body, message):
    headers = {"Authorization": f"Bearer {workspace.token}"}
    before = requests.get(
        f"{workspace.url}/api/2.2/jobs/runs/list", headers=headers, params={"limit": 1}, timeout=10
    ).json()
    answer = requests.post(f"{workspace.url}/api/2.2/jobs/runs/submit", json=body, headers=headers, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE" and message in answer.json()["message"]
    after = requests.get(
        f"{workspace.url}/api/2.2/jobs/runs/list", headers=headers, params={"limit": 1}, timeout=10
    ).json()
    assert after.get("runs", [{}])[0].get("run_id") == before.get("runs", [{}])[0].get("run_id")


def test_null_timeouts_mean_no_timeout(workspace):
    """Proto3 JSON: null is the field's default, 0 (no timeout), at the run and at the task level."""
    headers = {"Authorization": f"Bearer {workspace.token}"}
    task = {"task_key": "t", "timeout_seconds": None, "notebook_task": {"notebook_path": f"{NOTEBOOKS}/hello"}}
    body = {"run_name": "null timeouts", "timeout_seconds": None, "tasks": [task]}
    answer = requests.post(f"{workspace.url}/api/2.2/jobs/runs/submit", json=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    client = WorkspaceClient(host=workspace.url, token=workspace.token)
    run = client.jobs.wait_get_run_job_terminated_or_skipped(answer.json()["run_id"], timeout=WAIT)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    echoed = requests.get(
        f"{workspace.url}/api/2.2/jobs/runs/get", params={"run_id": run.run_id}, headers=headers, timeout=10
    ).json()
    assert not echoed.get("timeout_seconds") and not echoed["tasks"][0].get("timeout_seconds")


def test_non_string_base_parameters_reach_the_notebook_as_strings(client):
    """Widgets are text on Databricks (`dbutils.widgets.get(name) -> str`): the SDK sends JSON booleans, numbers
    and null as they are; the notebook reads strings and runs/get echoes the same strings."""
    task = jobs.SubmitTask(
        task_key="t",
        notebook_task=jobs.NotebookTask(
            notebook_path=f"{NOTEBOOKS}/widget_types",
            base_parameters={"flag": False, "on": True, "n": 5, "ratio": 0.5, "none": None, "text": "x"},
        ),
    )
    run = client.jobs.submit(run_name="widget types", tasks=[task]).result(WAIT)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    expected = {"flag": "false", "on": "true", "n": "5", "ratio": "0.5", "none": "", "text": "x"}
    assert run.tasks[0].notebook_task.base_parameters == expected
    read = json.loads(client.jobs.get_run_output(run.tasks[0].run_id).notebook_output.result)
    assert read == {name: ["str", value] for name, value in expected.items()}


def test_api_2_1_serves_the_same_runs_and_requires_a_token(workspace):
    headers = {"Authorization": f"Bearer {workspace.token}"}
    body = {"run_name": "v2.1", "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": f"{NOTEBOOKS}/hello"}}]}
    run_id = requests.post(f"{workspace.url}/api/2.1/jobs/runs/submit", json=body, headers=headers, timeout=10).json()[
        "run_id"
    ]
    run = requests.get(
        f"{workspace.url}/api/2.2/jobs/runs/get", params={"run_id": run_id}, headers=headers, timeout=10
    ).json()
    assert run["run_name"] == "v2.1"
    denied = requests.get(f"{workspace.url}/api/2.1/jobs/runs/get", params={"run_id": run_id}, timeout=10)
    assert denied.status_code == 401 and denied.json()["error_code"] == "UNAUTHENTICATED"


def test_list_runs_newest_first_with_paging(client):
    ids = [client.jobs.submit(run_name=f"list {i}", tasks=[notebook_task("t", "hello")]).run_id for i in range(3)]
    listed = client.jobs.list_runs(limit=2)
    newest = [run.run_id for run in islice(listed, 3)]
    assert newest == sorted(ids, reverse=True)
    for run_id in ids:
        client.jobs.wait_get_run_job_terminated_or_skipped(run_id, timeout=WAIT)
    completed = [r.run_id for r in client.jobs.list_runs(completed_only=True, limit=25)]
    assert set(ids) <= set(completed)
    assert all(r.tasks for r in islice(client.jobs.list_runs(expand_tasks=True, limit=2), 2))
    with pytest.raises(InvalidParameterValue, match="cannot both be true"):
        list(client.jobs.list_runs(active_only=True, completed_only=True))


def test_independent_tasks_run_side_by_side_and_dependents_wait(client):
    def sleeper(key: str, depends_on: list[str] | None = None) -> jobs.SubmitTask:
        return jobs.SubmitTask(
            task_key=key,
            depends_on=[jobs.TaskDependency(task_key=d) for d in depends_on or []],
            notebook_task=jobs.NotebookTask(notebook_path=f"{NOTEBOOKS}/sleep", base_parameters={"seconds": "2"}),
        )

    waiter = client.jobs.submit(run_name="graph", tasks=[sleeper("a"), sleeper("b"), sleeper("c", ["a", "b"])])
    wait_for(
        lambda: client.jobs.get_run(waiter.run_id).tasks[0].state.life_cycle_state == jobs.RunLifeCycleState.RUNNING,
        timeout=60,
        what="task a to start",
    )
    waiting = client.jobs.get_run(waiter.run_id).tasks[2]
    assert waiting.state.life_cycle_state == jobs.RunLifeCycleState.BLOCKED
    assert "a, b" in waiting.state.state_message
    run = waiter.result(WAIT)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    a, b, c = run.tasks
    assert b.start_time < a.end_time and a.start_time < b.end_time  # a and b overlapped
    assert c.start_time >= max(a.end_time, b.end_time)


def test_notebook_uses_mlflow_with_databricks_uris_unchanged(client):
    run = client.jobs.submit(run_name="mlflow", tasks=[notebook_task("mlflow", "mlflow_roundtrip")]).result(WAIT)
    output = client.jobs.get_run_output(run.tasks[0].run_id)
    assert run.state.result_state == jobs.RunResultState.SUCCESS, output.error_trace
    answer = json.loads(output.notebook_output.result)
    assert answer["f1"] == 0.61
    # The MLflow run really is in the workspace's tracking server.
    logged = client.api_client.do("GET", "/api/2.0/mlflow/runs/get", query={"run_id": answer["run_id"]})
    assert logged["run"]["data"]["metrics"][0]["value"] == 0.61


def test_task_values_flow_to_downstream_tasks(client):
    run = client.jobs.submit(
        run_name="task values",
        tasks=[
            notebook_task("train", "set_task_value"),
            notebook_task("evaluate", "get_task_value", ["train"]),
        ],
    ).result(WAIT)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    seen = json.loads(client.jobs.get_run_output(run.tasks[1].run_id).notebook_output.result)
    assert seen == {"version": 7, "metrics": {"f1": 0.6}, "missing": "fallback"}
