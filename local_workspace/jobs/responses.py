"""Handlers of the Jobs API `runs/*` endpoints: validate, read/write the database, answer in Databricks' shapes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import request
from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from local_workspace.auth import token_from_authorization
from local_workspace.config import DEFAULT_USER, WorkspaceConfig
from local_workspace.context import current_config, current_user
from local_workspace.db import session_scope
from local_workspace.errors import DatabricksApiError, invalid_parameter
from local_workspace.jobs import models
from local_workspace.jobs.models import JobRun
from local_workspace.jobs.requests import ListRunsQuery, RunRef, page_token
from local_workspace.jobs.run_store import create_run
from local_workspace.jobs.serialize import output_to_dict, run_to_dict, task_run_as_run
from local_workspace.jobs.submit_spec import parse_submit_request
from local_workspace.limits import MAX_LIST_PAGE_BYTES
from local_workspace.validation import validate

MULTI_TASK_OUTPUT_MESSAGE = (
    "Retrieving the output of runs with multiple tasks is not supported. "
    "Please retrieve the output of each individual task run instead."
)


def request_user() -> str:
    return current_user() or DEFAULT_USER


def request_params() -> dict[str, Any]:
    """GET parameters come in the query string, but the Airflow provider's async client sends a JSON body."""
    body = request.get_json(silent=True) if request.data else None
    params = dict(body) if isinstance(body, dict) else {}
    if request.method == "GET":
        params.update(request.args.to_dict())
    elif body is not None and not isinstance(body, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    return params


def request_body() -> dict[str, Any]:
    """A POST's JSON object body ({} when empty)."""
    body = request.get_json(silent=True)
    if body is None and request.data:
        raise DatabricksApiError("MALFORMED_REQUEST", "The request body is not valid JSON.")
    if body is not None and not isinstance(body, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    return body or {}


def submitter_token_hash() -> str | None:
    token = token_from_authorization(request.headers.get("Authorization"))
    return hashlib.sha256(token.encode()).hexdigest() if token else None


def _load(session: Session, run_id: int) -> JobRun:
    row = models.get_run(session, run_id)
    if row is None:
        raise invalid_parameter(f"Run {run_id} does not exist.")
    return row


@contextmanager
def _requested_run() -> Iterator[tuple[WorkspaceConfig, Session, JobRun]]:
    """The run named by the request's `run_id`, in a database session."""
    run_id = validate(RunRef, request_params()).run_id
    config = current_config()
    with session_scope(config.db_path) as session:
        yield config, session, _load(session, run_id)


def submit_run():
    body = request.get_json(silent=True)
    if body is None and request.data:
        raise DatabricksApiError("MALFORMED_REQUEST", "The request body is not valid JSON.")
    submission = parse_submit_request(body)  # its own message for a body that is not an object
    return {"run_id": create_run(current_config(), submission, request_user(), submitter_token_hash())}


def get_run():
    with _requested_run() as (config, session, row):
        if row.parent_run_id is None:
            return run_to_dict(row, models.tasks_of(session, row.run_id), config.page_url)
        # The provider polls task runs this way (DatabricksExecutionTrigger for workflow tasks).
        return task_run_as_run(row, _load(session, row.parent_run_id), config.page_url)


def get_run_output():
    with _requested_run() as (config, session, row):
        if row.parent_run_id is None:
            tasks = models.tasks_of(session, row.run_id)
            if not row.legacy_format or len(tasks) != 1:
                raise invalid_parameter(MULTI_TASK_OUTPUT_MESSAGE)
            parent, task = row, tasks[0]
        else:
            parent, task = _load(session, row.parent_run_id), row
        return output_to_dict(task, parent, config.page_url)


def cancel_run():
    with _requested_run() as (_config, session, row):
        parent_id = row.parent_run_id or row.run_id
        if models.cancel_queued_run(session, parent_id):
            return {}
        parent = _load(session, parent_id)
        if not parent.is_terminal:
            # The dispatcher sees the flag within a second, kills the notebook and records CANCELED.
            parent.cancel_requested = True
    return {}


def list_runs():
    query = validate(ListRunsQuery, request_params())
    config = current_config()
    with session_scope(config.db_path) as session:
        rows = list(session.scalars(_runs_query(query).offset(query.start).limit(query.page_size + 1)))
        runs: list[dict[str, Any]] = []
        page_bytes = 0
        for row in rows[: query.page_size]:
            tasks = models.tasks_of(session, row.run_id) if query.expand_tasks else []
            run = run_to_dict(row, tasks, config.page_url, include_tasks=query.expand_tasks)
            page_bytes += len(json.dumps(run))
            if runs and page_bytes > MAX_LIST_PAGE_BYTES:
                break  # a shorter page with a next_page_token, as Databricks may answer
            runs.append(run)
    answer: dict[str, Any] = {"runs": runs, "has_more": len(rows) > len(runs)}
    if answer["has_more"]:
        answer["next_page_token"] = page_token(query.start + len(runs))
    if query.start > 0:
        answer["prev_page_token"] = page_token(max(0, query.start - query.page_size))
    return answer


def _runs_query(query: ListRunsQuery) -> Select[JobRun]:
    """Runs (parents only) matching the filters, newest first."""
    statement = select(JobRun).where(JobRun.parent_run_id.is_(None)).order_by(JobRun.run_id.desc())
    saved_job_id = func.json_extract(JobRun.spec_json, "$.job_id")  # set on run-now runs of a saved job
    if query.run_type == "JOB_RUN":
        statement = statement.where(saved_job_id.is_not(None))
    elif query.run_type == "SUBMIT_RUN":
        statement = statement.where(saved_job_id.is_(None))
    elif query.run_type == "WORKFLOW_RUN":
        statement = statement.where(false())  # dbutils.notebook.run is not provided
    if query.job_id is not None:
        # A submitted run's job is its own one-time job, whose id is the run id.
        statement = statement.where(
            or_(saved_job_id == query.job_id, and_(saved_job_id.is_(None), JobRun.run_id == query.job_id))
        )
    if query.active_only:
        statement = statement.where(JobRun.life_cycle_state.in_(models.ACTIVE_STATES + models.WAITING_STATES))
    if query.completed_only:
        statement = statement.where(JobRun.life_cycle_state.in_(models.TERMINAL_STATES))
    # Databricks filters on the start time; a run still queued has none yet.
    if query.start_time_from is not None:
        statement = statement.where(JobRun.start_time >= query.start_time_from)
    if query.start_time_to is not None:
        statement = statement.where(JobRun.start_time <= query.start_time_to)
    return statement
