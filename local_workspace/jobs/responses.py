"""Handlers of the Jobs API `runs/*` endpoints: validate, read/write the database, answer in Databricks' shapes."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from flask import request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from local_workspace.auth import token_from_authorization
from local_workspace.config import DEFAULT_USER
from local_workspace.context import current_config, current_user
from local_workspace.db import session_scope
from local_workspace.errors import DatabricksApiError, invalid_parameter
from local_workspace.jobs import models
from local_workspace.jobs.models import JobRun
from local_workspace.jobs.paths import read_logs
from local_workspace.jobs.serialize import output_to_dict, run_to_dict, task_run_as_run
from local_workspace.jobs.submit_spec import SubmitRequest, parse_submit_request
from local_workspace.limits import INT64_MAX, MAX_LIST_PAGE_BYTES, MAX_STRING_FIELD_CHARS, parse_int64

MULTI_TASK_OUTPUT_MESSAGE = (
    "Retrieving the output of runs with multiple tasks is not supported. "
    "Please retrieve the output of each individual task run instead."
)
MAX_LIST_LIMIT = 25  # Jobs API 2.2 caps runs/list pages at 25


def _user() -> str:
    return current_user() or DEFAULT_USER


def _params() -> dict[str, Any]:
    """GET parameters come in the query string, but the Airflow provider's async client sends a JSON body."""
    body = request.get_json(silent=True) if request.data else None
    params = dict(body) if isinstance(body, dict) else {}
    if request.method == "GET":
        params.update(request.args.to_dict())
    elif body is not None and not isinstance(body, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    return params


def _submitter_token_hash() -> str | None:
    token = token_from_authorization(request.headers.get("Authorization"))
    return hashlib.sha256(token.encode()).hexdigest() if token else None


def _run_id(params: dict[str, Any]) -> int:
    value = params.get("run_id")
    if value is None or value == "":
        raise invalid_parameter("Missing required field: run_id")
    return parse_int64(value, "run_id", minimum=1)


def _load(session, run_id: int) -> JobRun:
    row = models.get_run(session, run_id)
    if row is None:
        raise invalid_parameter(f"Run {run_id} does not exist.")
    return row


def _bool(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1"):
        return True
    if str(value).lower() in ("false", "0", ""):
        return False
    raise invalid_parameter(f"{name} must be true or false, got {value!r}.")


def _int(params: dict[str, Any], name: str, default: int, minimum: int, maximum: int = INT64_MAX) -> int:
    return parse_int64(params.get(name, default), name, minimum=minimum, maximum=maximum)


def submit_run():
    body = request.get_json(silent=True)
    if body is None and request.data:
        raise DatabricksApiError("MALFORMED_REQUEST", "The request body is not valid JSON.")
    submission = parse_submit_request(body)
    config = current_config()
    user, token_hash = _user(), _submitter_token_hash()
    if submission.idempotency_token:
        existing = _run_for_token(config, submission.idempotency_token)
        if existing is not None:
            return {"run_id": existing}
    try:
        run_id = _insert_run(config, submission, user, token_hash)
    except IntegrityError:
        # Another worker inserted the same idempotency token a moment ago: answer with its run.
        existing = _run_for_token(config, submission.idempotency_token) if submission.idempotency_token else None
        if existing is None:
            raise
        return {"run_id": existing}
    return {"run_id": run_id}


def _run_for_token(config, token: str) -> int | None:
    with session_scope(config.db_path) as session:
        return session.scalar(select(JobRun.run_id).where(JobRun.idempotency_token == token))


def _insert_run(config, submission: SubmitRequest, user: str, token_hash: str | None) -> int:
    queued = f"Waiting for a free run slot (the local workspace runs at most {config.max_concurrent_runs} at once)."
    parent_spec = {"git_source": submission.git_source.raw} if submission.git_source else {}
    with session_scope(config.db_path) as session:
        parent = JobRun(
            run_name=submission.name,
            idempotency_token=submission.idempotency_token,
            creator_user_name=user,
            token_sha256=token_hash,
            legacy_format=submission.legacy_format,
            spec_json=json.dumps(parent_spec),
            timeout_seconds=submission.timeout_seconds,
            life_cycle_state="QUEUED",
            state_message=queued,
        )
        session.add(parent)
        session.flush()
        for order, task in enumerate(submission.tasks):
            session.add(
                JobRun(
                    parent_run_id=parent.run_id,
                    run_name=submission.name,
                    task_key=task.task_key,
                    task_order=order,
                    creator_user_name=user,
                    spec_json=json.dumps(submission.task_spec(task)),
                    timeout_seconds=task.timeout_seconds,
                    life_cycle_state="QUEUED",
                    state_message=queued,
                )
            )
        return parent.run_id


def get_run():
    params = _params()
    run_id = _run_id(params)
    config = current_config()
    with session_scope(config.db_path) as session:
        row = _load(session, run_id)
        if row.parent_run_id is None:
            return run_to_dict(row, models.tasks_of(session, run_id), config.page_url)
        # The provider polls task runs this way (DatabricksExecutionTrigger for workflow tasks).
        return task_run_as_run(row, _load(session, row.parent_run_id), config.page_url)


def get_run_output():
    params = _params()
    run_id = _run_id(params)
    config = current_config()
    with session_scope(config.db_path) as session:
        row = _load(session, run_id)
        if row.parent_run_id is None:
            tasks = models.tasks_of(session, run_id)
            if not row.legacy_format or len(tasks) != 1:
                raise invalid_parameter(MULTI_TASK_OUTPUT_MESSAGE)
            parent, task = row, tasks[0]
        else:
            parent, task = _load(session, row.parent_run_id), row
        logs = read_logs(Path(task.run_dir)) if task.run_dir else None
        return output_to_dict(task, parent, config.page_url, logs)


def cancel_run():
    params = _params()
    run_id = _run_id(params)
    config = current_config()
    with session_scope(config.db_path) as session:
        row = _load(session, run_id)
        parent_id = row.parent_run_id or row.run_id
        if models.cancel_queued_run(session, parent_id):
            return {}
        parent = _load(session, parent_id)
        if not parent.is_terminal:
            # The dispatcher sees the flag within a second, kills the notebook and records CANCELED.
            parent.cancel_requested = True
    return {}


def list_runs():
    params = _params()
    active_only, completed_only = _bool(params, "active_only"), _bool(params, "completed_only")
    if active_only and completed_only:
        raise invalid_parameter("active_only and completed_only cannot both be true.")
    offset = _int(params, "offset", 0, 0)
    if params.get("page_token"):
        offset = _page_offset(params["page_token"])
    limit = _int(params, "limit", 20, 1, MAX_LIST_LIMIT)
    run_type = params.get("run_type")
    if run_type not in (None, "", "JOB_RUN", "WORKFLOW_RUN", "SUBMIT_RUN"):
        raise invalid_parameter(f"run_type must be JOB_RUN, WORKFLOW_RUN or SUBMIT_RUN, got {run_type!r}.")
    expand_tasks = _bool(params, "expand_tasks")
    config = current_config()
    query = select(JobRun).where(JobRun.parent_run_id.is_(None))
    if run_type in ("JOB_RUN", "WORKFLOW_RUN"):
        query = query.where(False)  # only one-time submitted runs exist here
    if params.get("job_id") not in (None, ""):
        # A submitted run reports its own id as job_id (its one-time job).
        query = query.where(JobRun.run_id == _int(params, "job_id", 0, 1))
    if active_only:
        query = query.where(JobRun.life_cycle_state.in_(models.ACTIVE_STATES + models.WAITING_STATES))
    if completed_only:
        query = query.where(JobRun.life_cycle_state.in_(models.TERMINAL_STATES))
    for name, op in (("start_time_from", "ge"), ("start_time_to", "le")):
        if params.get(name) not in (None, ""):
            bound = _int(params, name, 0, 0)
            query = query.where(JobRun.submit_time >= bound if op == "ge" else JobRun.submit_time <= bound)
    query = query.order_by(JobRun.run_id.desc()).offset(offset).limit(limit + 1)
    with session_scope(config.db_path) as session:
        rows = list(session.scalars(query))
        runs, page_bytes = [], 0
        for row in rows[:limit]:
            run = run_to_dict(
                row,
                models.tasks_of(session, row.run_id) if expand_tasks else [],
                config.page_url,
                include_tasks=expand_tasks,
            )
            page_bytes += len(json.dumps(run))
            if runs and page_bytes > MAX_LIST_PAGE_BYTES:
                break  # a shorter page with a next_page_token, as Databricks may answer
            runs.append(run)
        has_more = len(rows) > len(runs)
    answer: dict[str, Any] = {"runs": runs, "has_more": has_more}
    if has_more:
        answer["next_page_token"] = _page_token(offset + len(runs))
    if offset > 0:
        answer["prev_page_token"] = _page_token(max(0, offset - limit))
    return answer


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _page_offset(token: Any) -> int:
    if isinstance(token, str) and len(token) <= MAX_STRING_FIELD_CHARS:
        try:
            kind, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            kind = number = ""
        if kind == "offset" and number.isascii() and number.isdigit() and len(number) <= 18:
            return int(number)
    preview = repr(token) if len(repr(token)) <= 60 else repr(token)[:60] + "..."
    raise invalid_parameter(f"Invalid page_token {preview}.")
