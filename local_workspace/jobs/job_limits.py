"""A saved job's `max_concurrent_runs` (default 1), as Databricks applies it to the job's runs: a run-now beyond
the limit is SKIPPED at once (`MAX_CONCURRENT_RUNS_EXCEEDED`), or, with `queue.enabled` (the default of jobs
created through Jobs API 2.2), waits QUEUED until one of the job's runs ends (the dispatcher asks
`waits_for_its_job`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from local_workspace.jobs.models import ACTIVE_STATES, WAITING_STATES, JobRun, now_ms

LIMITS = "job_limits"  # key of the parent run's spec: {"max_concurrent_runs": n, "queue": bool}


def limits_of(settings: dict[str, Any]) -> dict[str, Any]:
    queue = settings.get("queue")
    return {
        "max_concurrent_runs": int(settings.get("max_concurrent_runs", 1)),
        "queue": bool(queue.get("enabled")) if isinstance(queue, dict) else False,
    }


def skip_reason(session: Session, job_id: int, limits: dict[str, Any]) -> str | None:
    """Why a new run of the job is skipped (its limit is reached and it does not queue), else None."""
    if limits["queue"]:
        return None
    states = ACTIVE_STATES + WAITING_STATES
    if _runs_of_job(session, job_id, states) < limits["max_concurrent_runs"]:
        return None
    return (
        f"Skipping this run because the limit of {limits['max_concurrent_runs']} maximum concurrent runs "
        "has been reached."
    )


def skip(rows: list[JobRun], message: str) -> None:
    at = now_ms()
    for row in rows:
        row.life_cycle_state = "SKIPPED"
        row.state_message = message
        row.termination_code, row.termination_type = "MAX_CONCURRENT_RUNS_EXCEEDED", "CLIENT_ERROR"
        row.start_time = row.end_time = at


def waits_for_its_job(session: Session, run: JobRun) -> bool:
    """A queued run of a saved job whose limit of running runs is reached stays queued."""
    spec = run.spec
    limits, job_id = spec.get(LIMITS), spec.get("job_id")
    if not limits or job_id is None:
        return False
    return _runs_of_job(session, job_id, ACTIVE_STATES) >= limits["max_concurrent_runs"]


def _runs_of_job(session: Session, job_id: int, states: tuple[str, ...]) -> int:
    query = select(func.count(JobRun.run_id)).where(
        JobRun.parent_run_id.is_(None),
        JobRun.life_cycle_state.in_(states),
        func.json_extract(JobRun.spec_json, "$.job_id") == job_id,
    )
    return session.scalar(query) or 0
