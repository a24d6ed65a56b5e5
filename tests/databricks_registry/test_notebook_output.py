"""read_notebook_result against real job runs of the local workspace."""

from __future__ import annotations

import pytest
from airflow.providers.databricks.hooks.databricks import DatabricksHook
from support.waiting import wait_for

from databricks_registry.notebook_output import (
    NotebookOutputInvalid,
    NotebookResultError,
    NotebookRunFailed,
    NotebookRunNotFinished,
    read_notebook_result,
)

pytestmark = pytest.mark.notebook  # reads the output of real notebook runs

NOTEBOOK = "/Workspace/tests/databricks_registry/notebooks/exit_value"


def submit(mode: str, tasks: int = 1) -> int:
    spec = {
        "run_name": f"exit-{mode}",
        "tasks": [
            {"task_key": f"t{i}", "notebook_task": {"notebook_path": NOTEBOOK, "base_parameters": {"mode": mode}}}
            for i in range(tasks)
        ],
    }
    return DatabricksHook().submit_run(spec)


def finished(run_id: int, timeout: float = 180) -> int:
    hook = DatabricksHook()
    wait_for(lambda: hook.get_run_state(run_id).is_terminal, timeout=timeout, what=f"run {run_id} to finish")
    return run_id


@pytest.fixture(scope="module")
def runs(workspace):
    """Submit every kind of run once, up front, so they execute while the first ones are read."""
    import os

    os.environ["AIRFLOW_CONN_DATABRICKS_DEFAULT"] = workspace.airflow_connection_json()
    try:
        ids = {mode: submit(mode) for mode in ("json", "fail", "text", "list", "none", "huge")}
        ids["two_tasks"] = submit("json", tasks=2)
        yield ids
    finally:
        os.environ.pop("AIRFLOW_CONN_DATABRICKS_DEFAULT", None)


def test_reads_the_exit_json_of_the_single_task(runs, databricks_env):
    assert read_notebook_result(finished(runs["json"])) == {"passed": True, "checks": [], "report_markdown": "ok ü"}


def test_failed_run_includes_the_notebook_error(runs, databricks_env):
    with pytest.raises(NotebookRunFailed, match="candidate model could not be loaded") as err:
        read_notebook_result(finished(runs["fail"]))
    assert err.value.run_id == runs["fail"] and err.value.run_page_url


@pytest.mark.parametrize(
    "mode, match",
    [("text", "not JSON"), ("list", "expected an object"), ("none", "without a value"), ("huge", "truncated")],
)
def test_unusable_exit_values_are_typed_errors(mode, match, runs, databricks_env):
    with pytest.raises(NotebookOutputInvalid, match=match):
        read_notebook_result(finished(runs[mode]))


def test_multi_task_run_needs_a_task_key(runs, databricks_env):
    run_id = finished(runs["two_tasks"])
    with pytest.raises(NotebookResultError, match="pass task_key"):
        read_notebook_result(run_id)
    assert read_notebook_result(run_id, task_key="t1")["passed"] is True


def test_running_run_is_not_read_yet(databricks_env):
    run_id = submit("json")
    hook = DatabricksHook()
    if hook.get_run_state(run_id).is_terminal:
        pytest.skip("the run finished before it could be observed running")
    with pytest.raises(NotebookRunNotFinished):
        read_notebook_result(run_id)
    finished(run_id)


def test_bad_run_id_is_refused(databricks_env):
    for bad in ("abc", -1, True, ""):
        with pytest.raises(ValueError):
            read_notebook_result(bad)
