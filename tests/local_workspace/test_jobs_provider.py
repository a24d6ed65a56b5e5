"""The Airflow Databricks provider (hook, submit-run operator sync and deferrable) against the local workspace."""

from __future__ import annotations

import json

import pytest
from airflow.exceptions import TaskDeferred
from airflow.providers.databricks.hooks.databricks import DatabricksHook, RunState
from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator
from support.fake_ti import FakeTaskInstance
from support.waiting import wait_for

pytestmark = pytest.mark.notebook  # the provider's hook and operators run notebooks

NOTEBOOKS = "/Workspace/tests/local_workspace/notebooks"


def task(key: str, notebook: str, **params) -> dict:
    return {"task_key": key, "notebook_task": {"notebook_path": f"{NOTEBOOKS}/{notebook}", "base_parameters": params}}


def wait_terminal(hook: DatabricksHook, run_id: int, timeout: float = 180) -> RunState:
    def terminal() -> RunState | None:
        state = hook.get_run_state(run_id)
        return state if state.is_terminal else None

    return wait_for(terminal, timeout=timeout, what=f"run {run_id} to finish")


def test_hook_submit_poll_and_read_output(databricks_env):
    hook = DatabricksHook(retry_limit=3, retry_delay=1)
    run_id = hook.submit_run({"run_name": "hook", "tasks": [task("hello", "hello", name="hook")]})
    state = wait_terminal(hook, run_id)
    assert state.is_successful and state.life_cycle_state == "TERMINATED"
    run = hook.get_run(run_id)
    assert hook.get_run_page_url(run_id) == run["run_page_url"]
    task_run_id = run["tasks"][0]["run_id"]
    output = hook.get_run_output(task_run_id)
    assert json.loads(output["notebook_output"]["result"]) == {"greeting": "hello hook."}
    # The provider polls a task run's state by its own id too.
    assert hook.get_run_state(task_run_id).is_successful


def test_hook_legacy_single_task_submission(databricks_env):
    hook = DatabricksHook()
    run_id = hook.submit_run(
        {
            "run_name": "legacy",
            "new_cluster": {"spark_version": "15.4.x-scala2.12"},
            "notebook_task": {"notebook_path": f"{NOTEBOOKS}/hello", "base_parameters": {"name": "old"}},
        }
    )
    assert wait_terminal(hook, run_id).is_successful
    # A single-task (2.0-style) run answers get-output on its own id.
    assert json.loads(hook.get_run_output(run_id)["notebook_output"]["result"]) == {"greeting": "hello old."}


def test_hook_cancel_run(databricks_env):
    hook = DatabricksHook()
    run_id = hook.submit_run({"run_name": "cancel me", "tasks": [task("sleep", "sleep", seconds="120")]})
    hook.cancel_run(run_id)
    # Room for a loaded machine, still under the notebook's 120 s sleep: a run that ignored the cancel fails here.
    state = wait_terminal(hook, run_id, timeout=100)
    assert (state.life_cycle_state, state.result_state) == ("TERMINATED", "CANCELED")


def test_operator_sync_success_pushes_run_id_and_url(databricks_env):
    ti = FakeTaskInstance()
    operator = DatabricksSubmitRunOperator(
        task_id="sync", run_name="operator sync", polling_period_seconds=1, tasks=[task("hello", "hello", name="op")]
    )
    operator.execute({"ti": ti})
    assert ti.xcom["run_page_url"].startswith(databricks_env.url)
    run = DatabricksHook().get_run(ti.xcom["run_id"])
    assert run["state"]["result_state"] == "SUCCESS"


def test_operator_sync_failure_reports_the_notebook_error(databricks_env):
    operator = DatabricksSubmitRunOperator(task_id="sync_fail", polling_period_seconds=1, tasks=[task("boom", "fails")])
    with pytest.raises(Exception, match="ValueError: bad value 42"):
        operator.execute({"ti": FakeTaskInstance()})


async def test_operator_deferrable_runs_through_the_trigger(databricks_env):
    ti = FakeTaskInstance()
    operator = DatabricksSubmitRunOperator(
        task_id="deferred",
        run_name="operator deferrable",
        deferrable=True,
        polling_period_seconds=1,
        tasks=[task("hello", "hello", name="deferred")],
    )
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute({"ti": ti})
    trigger = deferred.value.trigger
    events = [event async for event in trigger.run()]
    assert len(events) == 1
    payload = events[0].payload
    assert RunState.from_json(payload["run_state"]).is_successful
    operator.execute_complete({"ti": ti}, payload)  # raises if the run did not succeed
    assert payload["run_id"] == ti.xcom["run_id"]


async def test_operator_deferrable_failure_carries_task_errors(databricks_env):
    operator = DatabricksSubmitRunOperator(
        task_id="deferred_fail", deferrable=True, polling_period_seconds=1, tasks=[task("boom", "fails")]
    )
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute({"ti": FakeTaskInstance()})
    (event,) = [event async for event in deferred.value.trigger.run()]
    assert event.payload["errors"][0]["error"] == "ValueError: bad value 42"
    with pytest.raises(Exception, match="ValueError: bad value 42"):
        operator.execute_complete({"ti": FakeTaskInstance()}, event.payload)


def test_notebook_operator_finds_its_task_and_succeeds(databricks_env):
    from airflow.providers.databricks.operators.databricks import DatabricksNotebookOperator

    ti = FakeTaskInstance()
    operator = DatabricksNotebookOperator(
        task_id="notebook_op",
        databricks_task_key="notebook_op_key",
        notebook_path=f"{NOTEBOOKS}/hello",
        source="WORKSPACE",
        notebook_params={"name": "nb-op"},
        existing_cluster_id="local",
        polling_period_seconds=1,
    )
    operator.execute({"ti": ti})
    output = DatabricksHook().get_run_output(ti.xcom["run_id"])
    assert json.loads(output["notebook_output"]["result"]) == {"greeting": "hello nb-op."}
