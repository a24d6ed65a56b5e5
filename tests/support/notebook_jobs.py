"""Run one notebook as a one-task Jobs API run (databricks-sdk) and read its exit value: what the churn notebook
tests and bench/bench_retrain.py both do against a local workspace."""

from __future__ import annotations

from datetime import timedelta


def submit_notebook(client, notebook_path: str, params: dict, timeout_minutes: float = 10):
    """Submit `notebook_path` with `params` as widgets, wait for the end; return (finished run, its task's output).

    The caller decides what a failure means (a test asserts, a benchmark exits): check `run.state.result_state`.
    """
    from databricks.sdk.service import jobs

    task = jobs.SubmitTask(
        task_key="notebook",
        notebook_task=jobs.NotebookTask(notebook_path=notebook_path, base_parameters=params),
    )
    run = client.jobs.submit(run_name=f"notebook {notebook_path}", tasks=[task]).result(
        timeout=timedelta(minutes=timeout_minutes)
    )
    return run, client.jobs.get_run_output(run.tasks[0].run_id)
