"""Job run state in the workspace database (several server workers read and write it; nothing lives in memory).

A submitted run is one parent row plus one row per task, all in `job_runs` so that parent and task run ids share
one sequence, as on Databricks. Life cycle: QUEUED -> PENDING -> RUNNING -> (TERMINATING ->) TERMINATED, or
INTERNAL_ERROR when the run could not be set up; SKIPPED for tasks whose upstream did not succeed.
"""

from __future__ import annotations

import json
import time
from typing import Any, cast

from sqlalchemy import DDL, Boolean, CursorResult, ForeignKey, Integer, String, Text, Update, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from local_workspace.db import Base

ACTIVE_STATES = ("PENDING", "BLOCKED", "RUNNING", "TERMINATING")
WAITING_STATES = ("QUEUED",)
TERMINAL_STATES = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")

# result_state -> (termination code, termination type) of the run's `status.termination_details`.
TERMINATION_BY_RESULT = {
    "SUCCESS": ("SUCCESS", "SUCCESS"),
    "FAILED": ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"),
    "TIMEDOUT": ("CANCELED", "CLIENT_ERROR"),
    "CANCELED": ("USER_CANCELED", "SUCCESS"),
    "UPSTREAM_FAILED": ("SKIPPED", "CLIENT_ERROR"),
    "UPSTREAM_CANCELED": ("SKIPPED", "SUCCESS"),
}


def now_ms() -> int:
    return int(time.time() * 1000)


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = {"sqlite_autoincrement": True}  # run ids are never reused, even after deletes

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    parent_run_id: Mapped[int | None] = mapped_column(ForeignKey("job_runs.run_id"), index=True)
    run_name: Mapped[str] = mapped_column(String(4096), default="Untitled")
    task_key: Mapped[str | None] = mapped_column(String(100))
    task_order: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    creator_user_name: Mapped[str] = mapped_column(String(255))
    # sha256 of the submitter's token: lets the dispatcher hand the same token to the notebook without storing it.
    token_sha256: Mapped[str | None] = mapped_column(String(64))
    legacy_format: Mapped[bool] = mapped_column(Boolean, default=False)
    spec_json: Mapped[str] = mapped_column(Text, default="{}")
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=0)

    life_cycle_state: Mapped[str] = mapped_column(String(32), default="QUEUED", index=True)
    result_state: Mapped[str | None] = mapped_column(String(32))
    state_message: Mapped[str] = mapped_column(Text, default="")
    termination_code: Mapped[str | None] = mapped_column(String(64))
    termination_type: Mapped[str | None] = mapped_column(String(32))
    user_cancelled_or_timedout: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)

    submit_time: Mapped[int] = mapped_column(Integer, default=now_ms)
    start_time: Mapped[int | None] = mapped_column(Integer)
    execution_start_time: Mapped[int | None] = mapped_column(Integer)
    end_time: Mapped[int | None] = mapped_column(Integer)

    pid: Mapped[int | None] = mapped_column(Integer)
    run_dir: Mapped[str | None] = mapped_column(Text)
    used_commit: Mapped[str | None] = mapped_column(String(64))
    result_text: Mapped[str | None] = mapped_column(Text)
    result_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    error_trace: Mapped[str | None] = mapped_column(Text)

    @property
    def spec(self) -> dict:
        return json.loads(self.spec_json or "{}")

    @property
    def is_terminal(self) -> bool:
        return self.life_cycle_state in TERMINAL_STATES

    def mark_running(self) -> None:
        self.life_cycle_state = "RUNNING"
        self.state_message = "In run"
        self.execution_start_time = now_ms()
        self.start_time = self.start_time or self.execution_start_time

    def finish(
        self,
        life_cycle_state: str,
        result_state: str,
        message: str = "",
        termination_code: str | None = None,
        termination_type: str | None = None,
    ) -> None:
        """Move to a terminal state once; a run that already ended keeps its first outcome."""
        if self.is_terminal:
            return
        code, kind = TERMINATION_BY_RESULT.get(result_state, ("INTERNAL_ERROR", "INTERNAL_ERROR"))
        self.life_cycle_state = life_cycle_state
        self.result_state = result_state
        self.state_message = message
        self.termination_code = termination_code or code
        self.termination_type = termination_type or kind
        self.user_cancelled_or_timedout = result_state in ("CANCELED", "TIMEDOUT")
        self.end_time = now_ms()
        self.start_time = self.start_time or self.end_time
        self.pid = None


# Saved job ids start here, far above any run id: a one-time submitted run reports its own run id as its job id
# (`runs/list?job_id=` finds it by that), so the two must never meet.
FIRST_SAVED_JOB_ID = 1_000_000_000_001


class SavedJob(Base):
    """A job of `jobs/create`: its settings as the client sent them (plus Databricks' defaults)."""

    __tablename__ = "saved_jobs"
    __table_args__ = {"sqlite_autoincrement": True}  # job ids are never reused, even after deletes

    job_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(4096), index=True)
    settings_json: Mapped[str] = mapped_column(Text)
    creator_user_name: Mapped[str] = mapped_column(String(255))
    created_time: Mapped[int] = mapped_column(Integer, default=now_ms)

    @property
    def settings(self) -> dict:
        return json.loads(self.settings_json)


event.listen(
    SavedJob.__table__,
    "after_create",
    DDL(f"INSERT INTO sqlite_sequence (name, seq) VALUES ('saved_jobs', {FIRST_SAVED_JOB_ID - 1})"),
)


def get_run(session: Session, run_id: int) -> JobRun | None:
    return session.get(JobRun, run_id)


def load_run(session: Session, run_id: int) -> JobRun:
    """A run the caller knows exists (the executor's own run and its tasks)."""
    row = session.get(JobRun, run_id)
    if row is None:
        raise LookupError(f"job run {run_id} does not exist")
    return row


def tasks_of(session: Session, parent_run_id: int) -> list[JobRun]:
    query = select(JobRun).where(JobRun.parent_run_id == parent_run_id).order_by(JobRun.task_order, JobRun.run_id)
    return list(session.scalars(query))


def count_active_runs(session: Session) -> int:
    query = select(JobRun.run_id).where(JobRun.parent_run_id.is_(None), JobRun.life_cycle_state.in_(ACTIVE_STATES))
    return len(session.scalars(query).all())


def queued_run_ids(session: Session, limit: int) -> list[int]:
    query = (
        select(JobRun.run_id)
        .where(JobRun.parent_run_id.is_(None), JobRun.life_cycle_state == "QUEUED")
        .order_by(JobRun.run_id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim_queued_run(session: Session, run_id: int) -> bool:
    """QUEUED -> PENDING, only if nobody (a cancel in another worker) changed it first."""
    claimed = _updated_rows(
        session,
        update(JobRun)
        .where(JobRun.run_id == run_id, JobRun.life_cycle_state == "QUEUED")
        .values(life_cycle_state="PENDING", state_message="Setting up the run", start_time=now_ms()),
    )
    if claimed != 1:
        return False
    session.execute(
        update(JobRun)
        .where(JobRun.parent_run_id == run_id, JobRun.life_cycle_state == "QUEUED")
        .values(life_cycle_state="PENDING", state_message="Waiting for the run to start")
    )
    return True


def cancel_queued_run(session: Session, run_id: int) -> bool:
    """A queued run never started: cancel it on the spot (the dispatcher skips it)."""
    cancelled = _updated_rows(
        session,
        update(JobRun)
        .where(JobRun.run_id == run_id, JobRun.life_cycle_state == "QUEUED")
        .values(life_cycle_state="TERMINATING", cancel_requested=True),
    )
    if cancelled != 1:
        return False
    session.expire_all()
    for row in [load_run(session, run_id), *tasks_of(session, run_id)]:
        row.finish("TERMINATED", "CANCELED", "Run cancelled.")
    return True


def _updated_rows(session: Session, statement: Update) -> int:
    result = cast("CursorResult[Any]", session.execute(statement))  # an UPDATE's result is a cursor result
    return result.rowcount


def block_tasks(session: Session, task_run_ids: list[int], upstream: dict[int, list[str]]) -> None:
    """PENDING -> BLOCKED for tasks that wait on upstream tasks (Databricks' life cycle state for that)."""
    for task_run_id in task_run_ids:
        row = load_run(session, task_run_id)
        if row.life_cycle_state == "PENDING":
            row.life_cycle_state = "BLOCKED"
            row.state_message = f"Waiting for upstream task(s): {', '.join(upstream[task_run_id])}"


def requeue_run(parent: JobRun, tasks: list[JobRun]) -> None:
    """PENDING -> QUEUED for a run whose set-up a server crash interrupted before any notebook started."""
    for row in [parent, *tasks]:
        row.life_cycle_state = "QUEUED"
        row.state_message = "Queued again after a restart of the local workspace."
        row.start_time = None
        row.used_commit = None


def unfinished_runs(session: Session) -> list[JobRun]:
    """Parent and task rows a previous server process left PENDING/RUNNING/TERMINATING."""
    return list(session.scalars(select(JobRun).where(JobRun.life_cycle_state.in_(ACTIVE_STATES))))
