"""Every stage write of the registry, serialized and journaled, whichever endpoint asks for it.

Stages live in MLflow's `mlflow.db`; requests and activities in `workspace.db`. SQLite cannot commit both at once,
so a stage change is a small journal (a write-ahead intent), all under the stage lock (`stage_lock`):

1. read the version and what `archive_existing_versions` would archive (fresh: no other stage writer runs);
2. commit a PENDING row in `registry_stage_changes` (version, target stage, archived versions, requester) —
   from here on the change is decided;
3. apply it in `mlflow.db` (one MLflow transaction: archiving and transition together);
4. in one `workspace.db` transaction: close the approved request, add the activities, mark the row DONE.

A writer killed after step 2 leaves a PENDING row and, the kernel having released its lock, the next lock holder
(any stage write, every worker on start-up, and any read of open requests that sees a PENDING row) rolls it
forward: re-applies step 3 unless `mlflow.db` already shows it, then step 4. So after a crash an approval is either
fully applied or was never decided (no row), and nobody sees a version in its new stage with its request still open.
Step 4 is retried while the lock is held (a busy `workspace.db`); if it still fails, the row stays PENDING for
the next reader or writer to finish.
MLflow's own `model-versions/transition-stage` goes through the same path (`install` wraps the store).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from local_workspace.db import Base, session_scope
from local_workspace.errors import DatabricksApiError
from local_workspace.registry import mlflow_store, models
from local_workspace.registry.stage_lock import held, stage_lock
from local_workspace.webhooks import events as webhook_events

log = logging.getLogger(__name__)

PENDING, DONE, FAILED = "PENDING", "DONE", "FAILED"
APPROVED_REQUEST, APPLIED_TRANSITION = "APPROVED_REQUEST", "APPLIED_TRANSITION"
# Step 4 attempts under the lock; each already waits up to workspace.db's busy timeout (30 s), and the stage lock's
# waiters give up after 120 s.
FINISH_ATTEMPTS = 3


class StageChangeRow(Base):
    """The journal: one row per stage change, PENDING until both databases reflect it."""

    __tablename__ = "registry_stage_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))  # APPROVED_REQUEST or APPLIED_TRANSITION
    model_name: Mapped[str] = mapped_column(String(512))
    version: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str] = mapped_column(String(32))
    to_stage: Mapped[str] = mapped_column(String(32))
    archive_existing_versions: Mapped[bool] = mapped_column(Boolean)
    archived_versions: Mapped[str] = mapped_column(Text)  # JSON list: what step 3 archives
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Approvals close the open requests created since the version was (this model version, not a deleted one).
    requests_since: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    creation_timestamp: Mapped[int] = mapped_column(BigInteger)

    @property
    def archived(self) -> list[str]:
        return json.loads(self.archived_versions)


@dataclass(frozen=True)
class StageChange:
    kind: str
    name: str
    version: str
    to_stage: str  # canonical spelling
    archive_existing_versions: bool
    user: str | None
    comment: str | None = None


@dataclass(frozen=True)
class Applied:
    model_version: object  # MLflow's ModelVersion after the change
    activity: dict  # the APPROVED_REQUEST / APPLIED_TRANSITION activity


def _store():
    from mlflow.server.handlers import _get_model_registry_store

    return _get_model_registry_store()


def apply(db: Path, change: StageChange, precheck: Callable[[object], None] | None = None) -> Applied:
    """Steps 1-4 under the stage lock. MLflow's errors are raised as MlflowException; `precheck(model_version)`
    may refuse the change (e.g. no open request) before anything is written."""
    with stage_lock(db):
        recover_locked(db)
        model_version = _store().get_model_version(name=change.name, version=change.version)
        if precheck is not None:
            precheck(model_version)
        archive = change.archive_existing_versions and change.to_stage in mlflow_store.ACTIVE_STAGES
        archived = (
            mlflow_store.versions_in_stage(change.name, change.to_stage, excluding=change.version) if archive else []
        )
        row = _journal(db, change, model_version, archived)
        try:
            updated = _transition(row)
        except BaseException:
            if not _applied_despite_error(db, row):
                raise
            # MLflow committed before the error (e.g. while answering): the change stands, so finish it.
            updated = _store().get_model_version(name=change.name, version=change.version)
        return Applied(updated, _finish_retrying(db, row))


def _applied_despite_error(db: Path, row: StageChangeRow) -> bool:
    """After step 3 raised: True if `mlflow.db` shows the change anyway. Marks the row FAILED only when it surely
    was not applied; when even that cannot be read, the row stays PENDING for the next lock holder to decide."""
    try:
        applied = _already_in_mlflow(row)
    except Exception:
        log.exception("Could not check whether stage change %s was applied; left for recovery.", row.id)
        return False
    if not applied:
        _mark(db, row.id, FAILED)
    return applied


def _finish_retrying(db: Path, row: StageChangeRow) -> dict:
    """Step 4, retried while the lock is held: `mlflow.db` already shows the change, so the request must close."""
    for attempt in range(1, FINISH_ATTEMPTS + 1):
        try:
            return _finish(db, row)
        except OperationalError as exc:  # busy past the timeout; the transaction was rolled back
            if attempt == FINISH_ATTEMPTS:
                log.warning(
                    "Stage change %s applied but not yet recorded (%s); the next read or stage write finishes it.",
                    row.id,
                    exc,
                )
                raise DatabricksApiError(
                    "TEMPORARILY_UNAVAILABLE",
                    f"Version {row.version} of '{row.model_name}' is now in {row.to_stage}, but recording the "
                    "transition is still pending (the workspace database is busy); it completes on the next "
                    "request.",
                ) from exc
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


def _journal(db: Path, change: StageChange, model_version, archived: list[str]) -> StageChangeRow:
    row = StageChangeRow(
        kind=change.kind,
        model_name=change.name,
        version=change.version,
        from_stage=model_version.current_stage,
        to_stage=change.to_stage,
        archive_existing_versions=change.archive_existing_versions,
        archived_versions=json.dumps(archived),
        user_id=change.user,
        comment=change.comment or None,
        requests_since=model_version.creation_timestamp if change.kind == APPROVED_REQUEST else None,
        status=PENDING,
        creation_timestamp=int(time.time() * 1000),
    )
    with session_scope(db) as session:
        session.add(row)
    return row


def _transition(row: StageChangeRow):
    archive = row.archive_existing_versions and row.to_stage in mlflow_store.ACTIVE_STAGES
    return _store().transition_model_version_stage(
        name=row.model_name, version=row.version, stage=row.to_stage, archive_existing_versions=archive
    )


def _finish(db: Path, row: StageChangeRow) -> dict:
    """Step 4: one workspace.db transaction, so the request, the activities and the journal agree."""
    with session_scope(db) as session:
        if row.kind == APPROVED_REQUEST and row.requests_since is not None:  # approvals always record it
            models.close_open_requests(
                session, row.model_name, row.version, row.to_stage, "APPROVED", row.requests_since
            )
        activity = models.add_activity(
            session,
            row.model_name,
            row.version,
            row.kind,
            row.user_id,
            from_stage=row.from_stage,
            to_stage=row.to_stage,
            comment=row.comment,
        )
        models.record_archived(session, row.model_name, row.version, row.to_stage, row.archived, row.user_id)
        _enqueue_webhook_events(session, row)
        session.execute(update(StageChangeRow).where(StageChangeRow.id == row.id).values(status=DONE))
        return activity.to_dict()


def _enqueue_webhook_events(session, row: StageChangeRow) -> None:
    """In step 4's transaction: the webhooks see the change exactly when the registry records it (also when a
    recovery rolls it forward). Versions archived as a side effect were transitioned too."""
    webhook_events.enqueue(
        session,
        webhook_events.transitioned_events(row.to_stage),
        row.model_name,
        version=row.version,
        from_stage=row.from_stage,
        to_stage=row.to_stage,
    )
    for other in row.archived:
        webhook_events.enqueue(
            session,
            webhook_events.transitioned_events("Archived"),
            row.model_name,
            version=other,
            from_stage=row.to_stage,
            to_stage="Archived",
        )


def _mark(db: Path, row_id: int, status: str) -> None:
    with session_scope(db) as session:
        session.execute(update(StageChangeRow).where(StageChangeRow.id == row_id).values(status=status))


def recover_locked(db: Path) -> int:
    """Roll forward the changes of writers that died mid-way (under the lock, a PENDING row has no live writer).

    Returns how many were rolled forward."""
    assert held(), "recovery must run under the stage lock"
    with session_scope(db) as session:
        pending = list(
            session.scalars(select(StageChangeRow).where(StageChangeRow.status == PENDING).order_by(StageChangeRow.id))
        )
    for row in pending:
        try:
            if not _already_in_mlflow(row):
                _transition(row)
        except Exception as exc:
            from mlflow.exceptions import MlflowException

            # A busy database is worth retrying (by the next lock holder); anything else MLflow refuses (e.g. the
            # version was deleted since) never will be applied, and must not block every later stage write.
            if not isinstance(exc, MlflowException) or exc.error_code == "TEMPORARILY_UNAVAILABLE":
                raise
            log.warning(
                "Stage change %s of %s v%s cannot be applied (%s); marked failed.",
                row.id,
                row.model_name,
                row.version,
                exc.message,
            )
            _mark(db, row.id, FAILED)
            continue
        _finish_retrying(db, row)
        log.warning(
            "Rolled forward stage change %s (%s %s v%s -> %s) left unfinished by a stopped writer.",
            row.id,
            row.kind,
            row.model_name,
            row.version,
            row.to_stage,
        )
    return len(pending)


def _already_in_mlflow(row: StageChangeRow) -> bool:
    current = _store().get_model_version(name=row.model_name, version=row.version).current_stage
    if current != row.to_stage:
        return False
    return not set(row.archived) & set(
        mlflow_store.versions_in_stage(row.model_name, row.to_stage, excluding=row.version)
    )


def recover(db: Path) -> int:
    with stage_lock(db):
        return recover_locked(db)


def recover_if_pending(db: Path) -> int:
    """For readers of open requests: roll forward only when a PENDING row exists (one indexed query otherwise).

    A PENDING row may belong to a live writer: then this waits for its lock, and reads what it wrote."""
    with session_scope(db) as session:
        pending = session.scalar(select(StageChangeRow.id).where(StageChangeRow.status == PENDING).limit(1))
    return 0 if pending is None else recover(db)


# ---- MLflow's own endpoint -------------------------------------------------------------------------------------


def install(db: Path) -> None:
    """Route MLflow's own stage transitions (its REST handler uses this store) through `apply`, then roll forward
    what a previous server left unfinished. Idempotent; runs in every worker process."""
    store = _store()
    if not getattr(store, "_local_workspace_stage_changes", False):
        unlocked = store.transition_model_version_stage

        def transition_model_version_stage(name, version, stage, archive_existing_versions=False):
            if held():  # our own path: already serialized and journaled
                return unlocked(
                    name=name, version=version, stage=stage, archive_existing_versions=archive_existing_versions
                )
            return _mlflow_transition(db, name, version, stage, archive_existing_versions)

        store.transition_model_version_stage = transition_model_version_stage
        store._local_workspace_stage_changes = True
    try:
        recover(db)
    except Exception:
        log.exception("Could not roll forward unfinished stage changes at start-up.")


def _mlflow_transition(db: Path, name, version, stage, archive_existing_versions):
    """MLflow's semantics and errors (MlflowException): it validates before anything is written."""
    from mlflow.entities.model_registry.model_version_stages import (
        DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS,
        get_canonical_stage,
    )
    from mlflow.exceptions import MlflowException

    from local_workspace.auth import current_user

    to_stage = get_canonical_stage(stage)
    if archive_existing_versions and to_stage not in DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS:
        raise MlflowException(
            f"Model version transition cannot archive existing model versions because '{stage}' is not an "
            f"Active stage. Valid stages are {DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS}"
        )
    user = current_user()
    # The same permission model as Databricks' own transition endpoint: CAN_READ/CAN_EDIT may not move stages.
    models.require_manage(user, to_stage, "apply")
    change = StageChange(APPLIED_TRANSITION, name, str(version), to_stage, bool(archive_existing_versions), user)
    return apply(db, change).model_version
