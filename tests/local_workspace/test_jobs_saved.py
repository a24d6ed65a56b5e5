"""Saved jobs (`jobs/create|get|list|update|reset|delete`, `jobs/run-now`) through an unmodified databricks-sdk
WorkspaceClient against the session's local workspace."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, ResourceDoesNotExist
from databricks.sdk.service import jobs
from support.waiting import wait_for

pytestmark = pytest.mark.notebook  # run-now runs notebooks

NOTEBOOKS = "/Workspace/tests/local_workspace/notebooks"
WAIT = timedelta(minutes=3)


@pytest.fixture()
def client(workspace) -> WorkspaceClient:
    return WorkspaceClient(host=workspace.url, token=workspace.token)


def notebook_task(key: str, notebook: str, depends_on: tuple[str, ...] = (), **params) -> jobs.Task:
    return jobs.Task(
        task_key=key,
        notebook_task=jobs.NotebookTask(notebook_path=f"{NOTEBOOKS}/{notebook}", base_parameters=params),
        depends_on=[jobs.TaskDependency(task_key=d) for d in depends_on],
    )


def unique(prefix: str) -> str:
    return f"{prefix} {os.getpid()}-{os.urandom(3).hex()}"


def widgets_read(client: WorkspaceClient, task_run_id: int) -> dict[str, str]:
    """What the widget_types notebook read: {name: value} (it also checks each value is a str)."""
    read = json.loads(client.jobs.get_run_output(task_run_id).notebook_output.result)
    assert all(kind == "str" for kind, _ in read.values()), read
    return {name: value for name, (_, value) in read.items()}


def test_create_run_now_and_read_the_job_run(client, workspace):
    name = unique("saved hello")
    job_id = client.jobs.create(name=name, tasks=[notebook_task("hello", "hello", name="job")]).job_id
    job = client.jobs.get(job_id)
    assert job.settings.name == name and job.creator_user_name == workspace.user
    assert job.settings.max_concurrent_runs == 1 and job.settings.tasks[0].task_key == "hello"
    assert [j.job_id for j in client.jobs.list(name=name)] == [job_id]

    waiter = client.jobs.run_now(job_id, notebook_params={"name": "run-now"})
    run = waiter.result(WAIT)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    assert run.job_id == job_id and run.run_type == jobs.RunType.JOB_RUN and run.run_name == name
    assert run.overriding_parameters.notebook_params == {"name": "run-now"}
    output = client.jobs.get_run_output(run.tasks[0].run_id)
    assert json.loads(output.notebook_output.result) == {"greeting": "hello run-now."}
    assert output.metadata.job_id == job_id and output.metadata.run_type == jobs.RunType.JOB_RUN
    assert [r.run_id for r in client.jobs.list_runs(job_id=job_id)] == [run.run_id]
    assert run.run_id in [r.run_id for r in client.jobs.list_runs(run_type=jobs.RunType.JOB_RUN, limit=25)]
    assert run.run_id not in [r.run_id for r in client.jobs.list_runs(run_type=jobs.RunType.SUBMIT_RUN, limit=25)]


def test_run_now_idempotency_token_returns_the_same_run(client):
    job_id = client.jobs.create(name=unique("idempotent"), tasks=[notebook_task("hello", "hello")]).job_id
    token = os.urandom(8).hex()
    first = client.jobs.run_now(job_id, idempotency_token=token).run_id
    again = client.jobs.run_now(job_id, idempotency_token=token).run_id
    assert first == again
    assert len(list(client.jobs.list_runs(job_id=job_id))) == 1


def test_parameters_precedence_and_references(client):
    """Job parameters are pushed down to every notebook task and win over notebook_params, which win over
    base_parameters; `{{job.parameters.x}}` references resolve; every value reaches the notebook as a str."""
    tasks = [
        notebook_task(
            "read",
            "widget_types",
            base="base",
            over="base",
            env="base",
            ref="{{job.parameters.env}}/{{job.id}}/{{task.name}}",
            n=5,
            flag=True,
        )
    ]
    params = [jobs.JobParameterDefinition(name="env", default="dev")]
    job_id = client.jobs.create(name=unique("params"), tasks=tasks, parameters=params).job_id
    run = client.jobs.run_now(job_id, notebook_params={"over": "notebook", "env": "notebook"}).result(WAIT)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    read = widgets_read(client, run.tasks[0].run_id)
    assert read == {
        "base": "base",
        "over": "notebook",
        "env": "dev",
        "ref": f"dev/{job_id}/read",
        "n": "5",
        "flag": "true",
    }
    assert [(p.name, p.default, p.value) for p in run.job_parameters] == [("env", "dev", "dev")]

    run = client.jobs.run_now(job_id, job_parameters={"env": "prod"}).result(WAIT)
    assert widgets_read(client, run.tasks[0].run_id)["ref"] == f"prod/{job_id}/read"
    assert [(p.name, p.value) for p in run.job_parameters] == [("env", "prod")]
    with pytest.raises(InvalidParameterValue, match="does not define the job parameter"):
        client.jobs.run_now(job_id, job_parameters={"unknown": "x"})


def test_multi_task_job_update_reset_and_delete(client):
    name = unique("multi")
    tasks = [notebook_task("first", "hello", name="a"), notebook_task("second", "hello", ("first",), name="b")]
    job_id = client.jobs.create(name=name, tasks=tasks).job_id
    run = client.jobs.run_now(job_id).result(WAIT)
    assert [t.task_key for t in run.tasks] == ["first", "second"]
    assert all(t.state.result_state == jobs.RunResultState.SUCCESS for t in run.tasks)

    # update merges tasks by task_key; reset replaces everything.
    client.jobs.update(job_id, new_settings=jobs.JobSettings(tasks=[notebook_task("second", "hello", name="c")]))
    settings = client.jobs.get(job_id).settings
    assert settings.name == name
    assert {t.task_key: t.notebook_task.base_parameters["name"] for t in settings.tasks} == {
        "first": "a",
        "second": "c",
    }
    client.jobs.update(job_id, fields_to_remove=["tasks/second"])
    assert [t.task_key for t in client.jobs.get(job_id).settings.tasks] == ["first"]
    client.jobs.reset(job_id, jobs.JobSettings(name=name + " reset", tasks=[notebook_task("only", "hello")]))
    job = client.jobs.get(job_id)
    assert job.settings.name == name + " reset" and [t.task_key for t in job.settings.tasks] == ["only"]

    client.jobs.delete(job_id)
    with pytest.raises(ResourceDoesNotExist, match=f"Job {job_id} does not exist"):
        client.jobs.get(job_id)
    with pytest.raises(InvalidParameterValue, match=f"Job {job_id} does not exist"):
        client.jobs.run_now(job_id)
    # Its runs stay readable.
    assert client.jobs.get_run(run.run_id).job_id == job_id


def test_invalid_job_settings_are_refused_naming_the_field(client):
    with pytest.raises(InvalidParameterValue, match=r"tasks\[0\].notebook_task.notebook_path"):
        client.jobs.create(
            name=unique("bad"), tasks=[jobs.Task(task_key="t", notebook_task=jobs.NotebookTask(notebook_path=""))]
        )
    with pytest.raises(InvalidParameterValue, match="spark_python_task is not supported"):
        client.jobs.create(
            name=unique("bad"),
            tasks=[jobs.Task(task_key="t", spark_python_task=jobs.SparkPythonTask(python_file="x.py"))],
        )


def test_max_concurrent_runs_skips_or_queues_like_databricks(client):
    """Beyond `max_concurrent_runs` (default 1) a run-now is SKIPPED at once when queueing is off; with
    `queue.enabled` (the default of jobs the SDK creates through Jobs API 2.2) it waits QUEUED until the job's
    running run ends."""
    sleeper = [notebook_task("sleep", "sleep", seconds="120")]
    no_queue = jobs.QueueSettings(enabled=False)
    plain = client.jobs.create(name=unique("limit"), tasks=sleeper, queue=no_queue).job_id
    first = client.jobs.run_now(plain).run_id
    skipped = client.jobs.get_run(client.jobs.run_now(plain).run_id)
    assert skipped.state.life_cycle_state == jobs.RunLifeCycleState.SKIPPED
    assert "limit of 1 maximum concurrent runs" in skipped.state.state_message
    assert skipped.status.termination_details.code == jobs.TerminationCodeCode.MAX_CONCURRENT_RUNS_EXCEEDED
    client.jobs.cancel_run(first)

    queued_job = client.jobs.create(name=unique("queue"), tasks=sleeper).job_id
    holder = client.jobs.run_now(queued_job).run_id
    wait_for(
        lambda: client.jobs.get_run(holder).state.life_cycle_state == jobs.RunLifeCycleState.RUNNING,
        what="the first run of the job RUNNING",
    )
    waiting = client.jobs.run_now(queued_job).run_id
    # A run queued after it starts first: the dispatcher passed over the job's waiting run.
    later = client.jobs.submit(
        run_name="passes the queue",
        tasks=[jobs.SubmitTask(task_key="t", notebook_task=jobs.NotebookTask(notebook_path=f"{NOTEBOOKS}/hello"))],
    ).run_id
    wait_for(
        lambda: client.jobs.get_run(later).state.life_cycle_state != jobs.RunLifeCycleState.QUEUED,
        what="a later submitted run to start",
    )
    assert client.jobs.get_run(waiting).state.life_cycle_state == jobs.RunLifeCycleState.QUEUED
    client.jobs.cancel_run(holder)
    wait_for(
        lambda: client.jobs.get_run(waiting).state.life_cycle_state != jobs.RunLifeCycleState.QUEUED,
        what="the queued run to start once the first one ended",
    )
    client.jobs.cancel_run(waiting)
