"""Handlers of the Jobs API saved-job endpoints (`jobs/create|get|list|update|reset|delete|run-now`); the work is
in `saved.py`, which other parts of the workspace call directly."""

from __future__ import annotations

from typing import Any

from flask import request

from local_workspace.context import current_config
from local_workspace.jobs import saved
from local_workspace.jobs.requests import JobRef, ListJobsQuery, UpdateJobRequest, page_token
from local_workspace.jobs.responses import request_body, request_params, request_user, submitter_token_hash
from local_workspace.validation import validate


def create_job():
    queue_by_default = request.path.startswith("/api/2.2/")  # "Updating from Jobs API 2.1 to 2.2"
    job_id = saved.create_job(current_config(), request_body(), request_user(), queue_by_default=queue_by_default)
    return {"job_id": job_id}


def get_job():
    return saved.get_job(current_config(), validate(JobRef, request_params()).job_id)


def list_jobs():
    query = validate(ListJobsQuery, request_params())
    jobs, has_more = saved.list_jobs(current_config(), query.name, query.start, query.limit, query.expand_tasks)
    answer: dict[str, Any] = {"jobs": jobs, "has_more": has_more}
    if has_more:
        answer["next_page_token"] = page_token(query.start + len(jobs))
    if query.start > 0:
        answer["prev_page_token"] = page_token(max(0, query.start - query.limit))
    return answer


def reset_job():
    body = request_body()
    job_id = validate(JobRef, body).job_id
    saved.reset_job(current_config(), job_id, body.get("new_settings"))
    return {}


def update_job():
    update = validate(UpdateJobRequest, request_body())
    saved.update_job(current_config(), update.job_id, update.new_settings, update.fields_to_remove)
    return {}


def delete_job():
    saved.delete_job(current_config(), validate(JobRef, request_body()).job_id)
    return {}


def run_now():
    body = request_body()
    job_id = validate(JobRef, body).job_id
    run_id = saved.run_now(
        job_id,
        body.get("notebook_params"),
        body.get("job_parameters"),
        body.get("idempotency_token"),
        user=request_user(),
        config=current_config(),
        token_sha256=submitter_token_hash(),
    )
    return {"run_id": run_id, "number_in_job": run_id}
