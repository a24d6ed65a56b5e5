"""Decisions on stage transitions: approve, reject or cancel a transition request, or transition directly.

An approval or a direct transition changes MLflow's stage and the workspace's rows together (see
`stage_changes`: all or nothing, even across a crash); a rejection or a cancellation only closes requests, under
the same stage lock so it never races an approval of the same request.
"""

from __future__ import annotations

from pathlib import Path

from local_workspace.db import session_scope
from local_workspace.errors import invalid_parameter
from local_workspace.registry import mlflow_store, models, stage_changes
from local_workspace.registry.stage_lock import stage_lock


def list_open_requests(db: Path, viewer: str, name: str, version: str) -> list[dict]:
    # A stage change whose writer died after MLflow committed would still show its request open: finish it first.
    stage_changes.recover_if_pending(db)
    model_version = mlflow_store.get_model_version(name, version)  # 404 for an unknown model or version
    return [
        r.to_activity_dict(viewer) for r in models.open_requests(db, name, version, model_version.creation_timestamp)
    ]


def _require_open_request(db: Path, name: str, version: str, to_stage: str):
    def check(model_version) -> None:
        if not [
            r
            for r in models.open_requests(db, name, version, model_version.creation_timestamp)
            if r.to_stage == to_stage
        ]:
            raise models.no_open_request(name, version, to_stage)

    return check


def approve_request(
    db: Path, user: str, name: str, version: str, stage: str, archive_existing_versions: bool, comment: str | None
) -> dict:
    """Stage change and request closing together (see `stage_changes`): all or nothing, even across a crash."""
    to_stage = mlflow_store.canonical_stage(stage)
    mlflow_store.get_model_version(name, version)
    models.require_manage(user, to_stage, "approve")
    return _apply_stage_change(
        db,
        "APPROVED_REQUEST",
        user,
        name,
        version,
        to_stage,
        archive_existing_versions,
        comment,
        _require_open_request(db, name, version, to_stage),
    ).activity


def _apply_stage_change(
    db: Path,
    kind: str,
    user: str,
    name: str,
    version: str,
    to_stage: str,
    archive_existing_versions: bool,
    comment: str | None,
    precheck=None,
):
    from mlflow.exceptions import MlflowException

    change = stage_changes.StageChange(kind, name, version, to_stage, archive_existing_versions, user, comment)
    try:
        return stage_changes.apply(db, change, precheck)
    except MlflowException as exc:
        raise mlflow_store.as_api_error(exc) from exc


def _decide(
    db: Path,
    user: str,
    name: str,
    version: str,
    to_stage: str,
    new_status: str,
    activity_type: str,
    comment: str | None,
    creator: str | None = None,
) -> dict:
    """Reject or cancel, under the stage lock so it never races an approval of the same request."""
    with stage_lock(db):
        stage_changes.recover_locked(db)
        model_version = mlflow_store.get_model_version(name, version)
        with session_scope(db) as session:
            since = model_version.creation_timestamp
            if models.close_open_requests(session, name, version, to_stage, new_status, since, creator) == 0:
                raise models.no_open_request(name, version, to_stage, creator)
            return models.add_activity(
                session,
                name,
                version,
                activity_type,
                user,
                from_stage=model_version.current_stage,
                to_stage=to_stage,
                comment=comment,
            ).to_dict()


def reject_request(db: Path, user: str, name: str, version: str, stage: str, comment: str | None) -> dict:
    to_stage = mlflow_store.canonical_stage(stage)
    mlflow_store.get_model_version(name, version)
    models.require_manage(user, to_stage, "reject")
    return _decide(db, user, name, version, to_stage, "REJECTED", "REJECTED_REQUEST", comment)


def cancel_request(db: Path, user: str, name: str, version: str, stage: str, creator: str, comment: str | None) -> dict:
    to_stage = mlflow_store.canonical_stage(stage)
    if not creator:
        raise invalid_parameter("Missing required field: creator")
    mlflow_store.get_model_version(name, version)
    if user != creator:
        models.require_manage(user, to_stage, "cancel other users' requests for")
    return _decide(db, user, name, version, to_stage, "CANCELLED", "CANCELLED_REQUEST", comment, creator)


def transition_stage(
    db: Path, user: str, name: str, version: str, stage: str, archive_existing_versions: bool, comment: str | None
):
    """Databricks' direct transition; returns MLflow's updated model version."""
    to_stage = mlflow_store.canonical_stage(stage)
    mlflow_store.get_model_version(name, version)
    models.require_manage(user, to_stage, "apply")
    return _apply_stage_change(
        db, "APPLIED_TRANSITION", user, name, version, to_stage, archive_existing_versions, comment
    ).model_version
