"""Read the JSON a notebook passed to `dbutils.notebook.exit` from a (submitted) Databricks job run.

Reads go through the provider's `DatabricksHook` (`get_run`, `get_run_output`). `runs/get-output` refuses the parent run of a multi-task submission (400 INVALID_PARAMETER_VALUE), so this gets the
run, picks its task run (the single one, or the one named `task_key`) and asks for that task run's output.
"""

from __future__ import annotations

import json
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException
from airflow.providers.databricks.hooks.databricks import DatabricksHook

TERMINAL_STATES = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")


class NotebookResultError(AirflowException):
    """The run's notebook result cannot be used."""

    def __init__(self, message: str, *, run_id: int | None = None, run_page_url: str | None = None) -> None:
        where = f" (run {run_id}{', ' + run_page_url if run_page_url else ''})" if run_id is not None else ""
        super().__init__(message + where)
        self.run_id = run_id
        self.run_page_url = run_page_url


class NotebookRunNotFinished(NotebookResultError):
    """The run is still queued or running."""


class NotebookRunFailed(NotebookResultError):
    """The run ended without success; the message includes the notebook's `error`."""


class NotebookOutputInvalid(NotebookResultError):
    """The run succeeded but its exit value is missing, truncated, not JSON or not a JSON object."""


def _task_run_id(run: dict[str, Any], run_id: int, task_key: str | None) -> int:
    tasks = run.get("tasks") or []
    if task_key is not None:
        for task in tasks:
            if task.get("task_key") == task_key:
                return int(task["run_id"])
        raise NotebookResultError(
            f"Run has no task {task_key!r} (tasks: {[t.get('task_key') for t in tasks]})", run_id=run_id
        )
    if not tasks:
        return run_id
    if len(tasks) > 1:
        raise NotebookResultError(
            f"Run has {len(tasks)} tasks ({[t.get('task_key') for t in tasks]}); pass task_key", run_id=run_id
        )
    return int(tasks[0]["run_id"])


def read_notebook_result(
    run_id: int, databricks_conn_id: str = "databricks_default", task_key: str | None = None
) -> dict[str, Any]:
    """Return the notebook's exit JSON object for job run `run_id`, or raise a NotebookResultError subclass."""
    if isinstance(run_id, bool) or not str(run_id).strip().isdigit():
        raise ValueError(f"run_id must be a positive integer, got {run_id!r}")
    run_id = int(run_id)
    hook = DatabricksHook(databricks_conn_id, caller="read_notebook_result")
    run = hook.get_run(run_id)
    page = run.get("run_page_url")
    state = run.get("state") or {}
    life_cycle, result_state = state.get("life_cycle_state"), state.get("result_state")
    if life_cycle not in TERMINAL_STATES:
        raise NotebookRunNotFinished(
            f"Run is not finished (life_cycle_state={life_cycle})", run_id=run_id, run_page_url=page
        )
    output = hook.get_run_output(_task_run_id(run, run_id, task_key))
    if result_state != "SUCCESS":
        error = output.get("error") or state.get("state_message") or "no error message"
        raise NotebookRunFailed(f"Run ended {life_cycle}/{result_state}: {error}", run_id=run_id, run_page_url=page)
    notebook_output = output.get("notebook_output") or {}
    if notebook_output.get("truncated"):
        raise NotebookOutputInvalid(
            "The notebook's exit value was truncated by Databricks (over 5 MB); "
            "exit with a smaller JSON or a pointer to stored results",
            run_id=run_id,
            run_page_url=page,
        )
    text = notebook_output.get("result")
    if text is None:
        raise NotebookOutputInvalid(
            "The notebook exited without a value (no dbutils.notebook.exit)", run_id=run_id, run_page_url=page
        )
    try:
        value = json.loads(text)
    except ValueError as e:
        raise NotebookOutputInvalid(
            f"The notebook's exit value is not JSON: {text[:200]!r}", run_id=run_id, run_page_url=page
        ) from e
    if not isinstance(value, dict):
        raise NotebookOutputInvalid(
            f"The notebook's exit value is JSON {type(value).__name__}, expected an object",
            run_id=run_id,
            run_page_url=page,
        )
    return value
