"""Job runs in the Jobs API 2.2 response shapes (`Run`, `RunTask`, `RunOutput`) that databricks-sdk parses."""

from __future__ import annotations

from local_workspace.jobs.models import JobRun, now_ms

# life_cycle_state -> status.state (RunLifecycleStateV2State has no SKIPPED / INTERNAL_ERROR).
STATUS_STATE = {"SKIPPED": "TERMINATED", "INTERNAL_ERROR": "TERMINATED", "WAITING_FOR_RETRY": "WAITING"}


def run_page_url(base_url: str, run_id: int) -> str:
    """The workspace's own run page (`local_workspace.pages`). Databricks answers `<host>/?o=<workspace id>#job/
    <job id>/run/<run id>`; clients only open the URL, and a plain path survives the login redirect, where a
    fragment would be lost. The workspace's `/` translates Databricks' `#job/...` fragments to this page too."""
    return f"{base_url.rstrip('/')}/jobs/runs/{run_id}"


def state_of(row: JobRun) -> dict:
    state = {
        "life_cycle_state": row.life_cycle_state,
        "state_message": row.state_message or "",
        "user_cancelled_or_timedout": bool(row.user_cancelled_or_timedout),
    }
    if row.result_state:
        state["result_state"] = row.result_state
    if row.life_cycle_state == "QUEUED":
        state["queue_reason"] = row.state_message
    return state


def status_of(row: JobRun) -> dict:
    status: dict = {"state": STATUS_STATE.get(row.life_cycle_state, row.life_cycle_state)}
    if row.life_cycle_state == "QUEUED":
        status["queue_details"] = {"code": "ACTIVE_RUNS_LIMIT_REACHED", "message": row.state_message}
    if row.is_terminal:
        status["termination_details"] = {
            "code": row.termination_code,
            "type": row.termination_type,
            "message": row.state_message or "",
        }
    return status


def _durations(row: JobRun) -> dict:
    """setup (start -> notebook start), execution (notebook start -> end), in ms like Databricks. A multi-task
    run's parent reports 0 for both (its tasks have their own) and its whole time in run_duration."""
    end = row.end_time or now_ms()
    out = {"setup_duration": 0, "execution_duration": 0, "cleanup_duration": 0}
    if row.start_time:
        out["run_duration"] = max(0, end - row.start_time)
    out["queue_duration"] = max(0, (row.start_time or end) - row.submit_time)
    if row.parent_run_id is None and not row.legacy_format:
        return out
    setup_end = row.execution_start_time or (row.end_time if row.start_time else None)
    if row.start_time and setup_end:
        out["setup_duration"] = max(0, setup_end - row.start_time)
    if row.execution_start_time:
        out["execution_duration"] = max(0, end - row.execution_start_time)
    return out


def _common(row: JobRun, base_url: str) -> dict:
    return {
        "run_id": row.run_id,
        "state": state_of(row),
        "status": status_of(row),
        "run_page_url": run_page_url(base_url, row.run_id),
        "start_time": row.start_time or 0,
        "end_time": row.end_time or 0,
        "attempt_number": 0,
        **_durations(row),
    }


def task_to_dict(task: JobRun, base_url: str) -> dict:
    spec = task.spec
    out = {**{k: v for k, v in spec.items() if k != "run_name"}, **_common(task, base_url), "task_key": task.task_key}
    if task.used_commit:
        out["git_source"] = {**out.get("git_source", {}), "git_snapshot": {"used_commit": task.used_commit}}
    return out


def job_of(run: JobRun) -> tuple[int, str]:
    """(job_id, run_type) of a parent run: a run-now run belongs to its saved job, a submitted run to its own
    one-time job (whose id is the run id)."""
    saved_job_id = run.spec.get("job_id")
    return (saved_job_id, "JOB_RUN") if saved_job_id else (run.run_id, "SUBMIT_RUN")


def run_to_dict(run: JobRun, tasks: list[JobRun], base_url: str, include_tasks: bool = True) -> dict:
    spec = run.spec
    job_id, run_type = job_of(run)
    out = {
        **_common(run, base_url),
        "job_id": job_id,
        "number_in_job": run.run_id,
        "original_attempt_run_id": run.run_id,
        "run_name": run.run_name,
        "run_type": run_type,
        "creator_user_name": run.creator_user_name,
        "format": "SINGLE_TASK" if run.legacy_format else "MULTI_TASK",
        "trigger": "ONE_TIME",
    }
    for field in ("job_parameters", "overriding_parameters"):
        if spec.get(field):
            out[field] = spec[field]
    if run.timeout_seconds:
        out["timeout_seconds"] = run.timeout_seconds
    if spec.get("git_source"):
        git = dict(spec["git_source"])
        if run.used_commit:
            git["git_snapshot"] = {"used_commit": run.used_commit}
        out["git_source"] = git
    if run.idempotency_token:
        out["idempotency_token"] = run.idempotency_token
    if include_tasks:
        out["tasks"] = [task_to_dict(task, base_url) for task in tasks]
    return out


def task_run_as_run(task: JobRun, parent: JobRun, base_url: str) -> dict:
    """A task run fetched on its own (`runs/get` with a task run id, get-output metadata) is a one-task Run."""
    shaped = task_to_dict(task, base_url)
    job_id, run_type = job_of(parent)
    return {
        **shaped,
        "run_name": parent.run_name,
        "run_type": run_type,
        "job_id": job_id,
        "parent_run_id": parent.run_id,
        "creator_user_name": parent.creator_user_name,
        "tasks": [dict(shaped)],
    }


def output_to_dict(task: JobRun, parent: JobRun, base_url: str) -> dict:
    """`runs/get-output` of one task run: the notebook's exit value, or its error, plus the task as metadata.

    No `logs`: Databricks fills it only for script tasks and shows a notebook's output in its UI; here the run
    page (`run_page_url`) shows the tail of the notebook's stdout and stderr.
    """
    out: dict = {"metadata": task_run_as_run(task, parent, base_url)}
    if task.result_state == "SUCCESS" or task.result_text is not None:
        out["notebook_output"] = {"truncated": bool(task.result_truncated)}
        if task.result_text is not None:
            out["notebook_output"]["result"] = task.result_text
    if task.error:
        out["error"] = task.error
    elif task.is_terminal and task.result_state not in (None, "SUCCESS"):
        out["error"] = task.state_message
    if task.error_trace:
        out["error_trace"] = task.error_trace
    return out
