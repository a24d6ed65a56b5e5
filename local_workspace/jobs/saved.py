"""Saved jobs: `jobs/create|get|list|update|reset|delete` and `jobs/run-now`, as Python functions the HTTP
handlers (`saved_responses.py`) and other parts of the workspace (registry job webhooks) call.

A run-now run is an ordinary run of the runner (`run_store.create_run`), whose parent row records the job
(`job_id`, job parameters) in its spec: `runs/get` answers it as a `JOB_RUN` of that job.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from local_workspace.config import WorkspaceConfig
from local_workspace.context import current_config
from local_workspace.db import session_scope
from local_workspace.errors import invalid_parameter
from local_workspace.jobs.job_limits import LIMITS, limits_of, skip_reason
from local_workspace.jobs.job_settings import (
    RunNowRequest,
    job_run_submission,
    merge_settings,
    parse_settings,
    reference_values,
    resolve_references,
)
from local_workspace.jobs.models import SavedJob
from local_workspace.jobs.run_store import create_run
from local_workspace.validation import validate


def create_job(config: WorkspaceConfig, raw_settings: Any, user: str, *, queue_by_default: bool = False) -> int:
    """A new job. `queue_by_default`: Jobs API 2.2 creates jobs with queueing on unless `queue` says otherwise
    (2.0/2.1 leave it off), so a run-now beyond `max_concurrent_runs` waits instead of being skipped."""
    if queue_by_default and isinstance(raw_settings, dict) and raw_settings.get("queue") is None:
        raw_settings = {**raw_settings, "queue": {"enabled": True}}
    spec, settings = parse_settings(raw_settings, "The request body")
    with session_scope(config.db_path) as session:
        job = SavedJob(name=spec.name, settings_json=json.dumps(settings), creator_user_name=user)
        session.add(job)
        session.flush()
        return job.job_id


def get_job(config: WorkspaceConfig, job_id: int) -> dict[str, Any]:
    with session_scope(config.db_path) as session:
        return job_to_dict(_load_job(session, job_id))


def list_jobs(
    config: WorkspaceConfig, name: str | None, offset: int, limit: int, expand_tasks: bool
) -> tuple[list[dict[str, Any]], bool]:
    """Jobs newest first (a `name` matches exactly, ignoring case), and whether more follow."""
    statement = select(SavedJob).order_by(SavedJob.job_id.desc())
    if name:
        statement = statement.where(func.lower(SavedJob.name) == name.lower())
    with session_scope(config.db_path) as session:
        rows = list(session.scalars(statement.offset(offset).limit(limit + 1)))
        jobs = [job_to_dict(row, include_tasks=expand_tasks) for row in rows[:limit]]
    return jobs, len(rows) > limit


def reset_job(config: WorkspaceConfig, job_id: int, new_settings: Any) -> None:
    """All settings replaced by `new_settings`."""
    spec, settings = parse_settings(new_settings, "new_settings")
    with session_scope(config.db_path) as session:
        job = _load_job(session, job_id)
        job.name, job.settings_json = spec.name, json.dumps(settings)


def update_job(config: WorkspaceConfig, job_id: int, new_settings: Any, fields_to_remove: list[str]) -> None:
    """Top-level fields of `new_settings` replaced, tasks merged by task_key, `fields_to_remove` dropped."""
    if new_settings is not None and not isinstance(new_settings, dict):
        raise invalid_parameter("new_settings must be a JSON object.")
    with session_scope(config.db_path) as session:
        job = _load_job(session, job_id)
        merged = merge_settings(job.settings, new_settings or {}, fields_to_remove)
        spec, settings = parse_settings(merged, "new_settings")
        job.name, job.settings_json = spec.name, json.dumps(settings)


def delete_job(config: WorkspaceConfig, job_id: int) -> None:
    """The job goes; its runs stay readable through runs/get."""
    with session_scope(config.db_path) as session:
        session.delete(_load_job(session, job_id))


def run_now(
    job_id: int,
    notebook_params: dict[str, Any] | None = None,
    job_parameters: dict[str, Any] | None = None,
    idempotency_token: str | None = None,
    *,
    user: str,
    config: WorkspaceConfig | None = None,
    token_sha256: str | None = None,
) -> int:
    """Start a run of saved job `job_id` and return its run id (a repeated `idempotency_token` returns the run it
    started first). Beyond the job's `max_concurrent_runs` the run is SKIPPED, or QUEUED with `queue.enabled`. The run's notebooks get the token `token_sha256` names, else a token of `user`.
    Bad input raises `DatabricksApiError` (400 INVALID_PARAMETER_VALUE), as the HTTP call answers."""
    config = config or current_config()
    body: dict[str, Any] = {"job_id": job_id, "notebook_params": notebook_params, "job_parameters": job_parameters}
    request = validate(RunNowRequest, {**body, "idempotency_token": idempotency_token})
    with session_scope(config.db_path) as session:
        job = _load_job(session, request.job_id)
        name, settings = job.name, job.settings
    submission, record, values = job_run_submission(request.job_id, settings, request)

    def resolve(task_spec: dict[str, Any], run_id: int) -> dict[str, Any]:
        known = reference_values(request.job_id, name, run_id, task_spec["task_key"], values)
        notebook = task_spec["notebook_task"]
        parameters = {k: resolve_references(v, known) for k, v in (notebook.get("base_parameters") or {}).items()}
        return {**task_spec, "notebook_task": {**notebook, "base_parameters": parameters}}

    limits = limits_of(settings)
    record[LIMITS] = limits
    return create_run(
        config,
        submission,
        user,
        token_sha256,
        parent_extra=record,
        prepare_task=resolve,
        skip_check=lambda session: skip_reason(session, request.job_id, limits),
    )


def job_to_dict(job: SavedJob, include_tasks: bool = True) -> dict[str, Any]:
    """The `Job` (jobs/get) or `BaseJob` (jobs/list: tasks and job clusters only with expand_tasks) shape."""
    settings = job.settings
    if not include_tasks:
        settings = {k: v for k, v in settings.items() if k not in ("tasks", "job_clusters")}
    return {
        "job_id": job.job_id,
        "creator_user_name": job.creator_user_name,
        "run_as_user_name": job.creator_user_name,
        "created_time": job.created_time,
        "settings": settings,
    }


def _load_job(session: Session, job_id: int) -> SavedJob:
    job = session.get(SavedJob, job_id)
    if job is None:
        raise invalid_parameter(f"Job {job_id} does not exist.")
    return job
