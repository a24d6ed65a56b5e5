"""Creating runs in the database: one parent row plus one row per task, shared by `runs/submit` and `run-now`.

An `idempotency_token` makes the creation happen once: a repeat (also from another worker at the same moment)
answers the run the first call created.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from local_workspace.config import WorkspaceConfig
from local_workspace.db import session_scope
from local_workspace.jobs.models import JobRun
from local_workspace.jobs.submit_spec import SubmitRequest

# (task spec, parent run id) -> the task spec to store; lets run-now resolve `{{job.run_id}}`-style references.
TaskSpecHook = Callable[[dict[str, Any], int], dict[str, Any]]


def create_run(
    config: WorkspaceConfig,
    submission: SubmitRequest,
    user: str,
    token_hash: str | None,
    parent_extra: dict[str, Any] | None = None,
    prepare_task: TaskSpecHook | None = None,
) -> int:
    """The id of a new QUEUED run, or of the run created earlier with the same idempotency token."""
    if submission.idempotency_token:
        existing = run_for_token(config, submission.idempotency_token)
        if existing is not None:
            return existing
    try:
        return _insert_run(config, submission, user, token_hash, parent_extra or {}, prepare_task)
    except IntegrityError:
        # Another worker inserted the same idempotency token a moment ago: answer with its run.
        existing = run_for_token(config, submission.idempotency_token) if submission.idempotency_token else None
        if existing is None:
            raise
        return existing


def run_for_token(config: WorkspaceConfig, token: str) -> int | None:
    with session_scope(config.db_path) as session:
        return session.scalar(select(JobRun.run_id).where(JobRun.idempotency_token == token))


def _insert_run(
    config: WorkspaceConfig,
    submission: SubmitRequest,
    user: str,
    token_hash: str | None,
    parent_extra: dict[str, Any],
    prepare_task: TaskSpecHook | None,
) -> int:
    queued = f"Waiting for a free run slot (the local workspace runs at most {config.max_concurrent_runs} at once)."
    parent_spec = {"git_source": submission.git_source.raw} if submission.git_source else {}
    with session_scope(config.db_path) as session:
        parent = JobRun(
            run_name=submission.name,
            idempotency_token=submission.idempotency_token,
            creator_user_name=user,
            token_sha256=token_hash,
            legacy_format=submission.legacy_format,
            spec_json=json.dumps({**parent_spec, **parent_extra}),
            timeout_seconds=submission.timeout_seconds,
            life_cycle_state="QUEUED",
            state_message=queued,
        )
        session.add(parent)
        session.flush()
        for order, task in enumerate(submission.tasks):
            spec = submission.task_spec(task)
            session.add(
                JobRun(
                    parent_run_id=parent.run_id,
                    run_name=submission.name,
                    task_key=task.task_key,
                    task_order=order,
                    creator_user_name=user,
                    spec_json=json.dumps(prepare_task(spec, parent.run_id) if prepare_task else spec),
                    timeout_seconds=task.timeout_seconds,
                    life_cycle_state="QUEUED",
                    state_message=queued,
                )
            )
        return parent.run_id
