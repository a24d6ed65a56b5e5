"""State and rules of the Databricks-only registry features: transition requests, activities, comments.

Rows live in the workspace database (shared by every worker, kept across restarts); stages live in MLflow's
registry store (see `mlflow_store`). A request has no status in the API: it is open until approved, rejected or
cancelled, and only open requests are listed.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from sqlalchemy import BigInteger, Index, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from local_workspace.db import Base, session_scope
from local_workspace.errors import DatabricksApiError, not_found
from local_workspace.registry import mlflow_store
from local_workspace.registry.permissions import can_manage_stage
from local_workspace.webhooks import events as webhook_events

OPEN = "OPEN"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _new_id() -> str:
    return uuid.uuid4().hex


def new_row(row_class, **fields):
    """A new registry row with a fresh id, created and last updated now."""
    now = _now_ms()
    return row_class(id=_new_id(), creation_timestamp=now, last_updated_timestamp=now, **fields)


class TransitionRequestRow(Base):
    __tablename__ = "registry_transition_requests"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(512))
    version: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str] = mapped_column(String(32))
    to_stage: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(256))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=OPEN)  # OPEN, APPROVED, REJECTED, CANCELLED
    creation_timestamp: Mapped[int] = mapped_column(BigInteger)
    last_updated_timestamp: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        # At most one open request per version, target stage and requester, even across worker processes.
        Index(
            "ix_one_open_request",
            "model_name",
            "version",
            "to_stage",
            "user_id",
            unique=True,
            sqlite_where=(status == OPEN),
        ),
    )

    def available_actions(self, viewer: str) -> list[str]:
        actions = []
        if can_manage_stage(viewer, self.to_stage):
            actions += ["APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST"]
        if viewer == self.user_id:
            actions.append("CANCEL_TRANSITION_REQUEST")
        return actions

    def to_request_dict(self, viewer: str) -> dict:
        """`TransitionRequest` (the create response)."""
        return _without_none(
            {
                "available_actions": self.available_actions(viewer),
                "comment": self.comment,
                "creation_timestamp": self.creation_timestamp,
                "to_stage": self.to_stage,
                "user_id": self.user_id,
            }
        )

    def to_activity_dict(self, viewer: str) -> dict:
        """An open request as `transition-requests/list` and `open_requests` show it."""
        return _without_none(
            {
                "id": self.id,
                "activity_type": "REQUESTED_TRANSITION",
                "comment": self.comment,
                "creation_timestamp": self.creation_timestamp,
                "last_updated_timestamp": self.last_updated_timestamp,
                "from_stage": self.from_stage,
                "to_stage": self.to_stage,
                "user_id": self.user_id,
                "available_actions": self.available_actions(viewer),
            }
        )


class ActivityRow(Base):
    __tablename__ = "registry_activities"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(512), index=True)
    version: Mapped[str] = mapped_column(String(32))
    activity_type: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_stage: Mapped[str | None] = mapped_column(String(32), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    system_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    creation_timestamp: Mapped[int] = mapped_column(BigInteger)
    last_updated_timestamp: Mapped[int] = mapped_column(BigInteger)

    def to_dict(self) -> dict:
        return _without_none(
            {
                "id": self.id,
                "activity_type": self.activity_type,
                "comment": self.comment,
                "creation_timestamp": self.creation_timestamp,
                "last_updated_timestamp": self.last_updated_timestamp,
                "from_stage": self.from_stage,
                "to_stage": self.to_stage,
                "system_comment": self.system_comment,
                "user_id": self.user_id,
            }
        )


class CommentRow(Base):
    __tablename__ = "registry_comments"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(512), index=True)
    version: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(256))
    comment: Mapped[str] = mapped_column(Text)
    creation_timestamp: Mapped[int] = mapped_column(BigInteger)
    last_updated_timestamp: Mapped[int] = mapped_column(BigInteger)

    def to_dict(self, viewer: str) -> dict:
        actions = ["EDIT_COMMENT", "DELETE_COMMENT"] if viewer == self.user_id else []
        return {
            "id": self.id,
            "comment": self.comment,
            "creation_timestamp": self.creation_timestamp,
            "last_updated_timestamp": self.last_updated_timestamp,
            "user_id": self.user_id,
            "available_actions": actions,
        }


def _without_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def add_activity(
    session, name, version, activity_type, user, *, from_stage=None, to_stage=None, comment=None, system_comment=None
) -> ActivityRow:
    row = new_row(
        ActivityRow,
        model_name=name,
        version=version,
        activity_type=activity_type,
        from_stage=from_stage,
        to_stage=to_stage,
        user_id=user,
        comment=comment or None,
        system_comment=system_comment,
    )
    session.add(row)
    return row


# ---- transition requests -------------------------------------------------------------------------------------


def create_request(db: Path, user: str, name: str, version: str, stage: str, comment: str | None) -> dict:
    to_stage = mlflow_store.canonical_stage(stage)
    model_version = mlflow_store.get_model_version(name, version)
    current, since = model_version.current_stage, model_version.creation_timestamp
    if current == to_stage:
        raise DatabricksApiError(
            "INVALID_PARAMETER_VALUE", f"Model version {version} of '{name}' is already in stage {to_stage}."
        )
    with session_scope(db) as session:
        # Requests left open on a deleted model of the same name do not belong to this version.
        session.execute(
            update(TransitionRequestRow)
            .where(
                TransitionRequestRow.model_name == name,
                TransitionRequestRow.version == version,
                TransitionRequestRow.status == OPEN,
                TransitionRequestRow.creation_timestamp < since,
            )
            .values(status="ORPHANED")
        )
        duplicate = session.scalar(
            select(TransitionRequestRow).where(
                TransitionRequestRow.model_name == name,
                TransitionRequestRow.version == version,
                TransitionRequestRow.to_stage == to_stage,
                TransitionRequestRow.user_id == user,
                TransitionRequestRow.status == OPEN,
            )
        )
        already_open = DatabricksApiError(
            "RESOURCE_ALREADY_EXISTS",
            f"User {user} already has an open request to transition version {version} of '{name}' to {to_stage}.",
        )
        if duplicate is not None:
            raise already_open
        row = new_row(
            TransitionRequestRow,
            model_name=name,
            version=version,
            from_stage=current,
            to_stage=to_stage,
            user_id=user,
            comment=comment or None,
            status=OPEN,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:  # another worker created the same request a moment ago
            raise already_open from exc
        add_activity(
            session, name, version, "REQUESTED_TRANSITION", user, from_stage=current, to_stage=to_stage, comment=comment
        )
        webhook_events.enqueue(
            session,
            webhook_events.request_created_events(to_stage),
            name,
            version=version,
            from_stage=current,
            to_stage=to_stage,
        )
        return row.to_request_dict(user)


def open_requests(db: Path, name: str, version: str, since: int) -> list[TransitionRequestRow]:
    """Open requests of this model version (not of a deleted model that had the same name)."""
    with session_scope(db) as session:
        query = select(TransitionRequestRow).where(
            TransitionRequestRow.model_name == name,
            TransitionRequestRow.version == version,
            TransitionRequestRow.status == OPEN,
            TransitionRequestRow.creation_timestamp >= since,
        )
        return list(session.scalars(query.order_by(TransitionRequestRow.creation_timestamp)))


def close_open_requests(
    session, name: str, version: str, to_stage: str, new_status: str, since: int, creator: str | None = None
) -> int:
    """Close the matching open requests; the UPDATE takes SQLite's write lock, serializing concurrent deciders."""
    conditions = [
        TransitionRequestRow.model_name == name,
        TransitionRequestRow.version == version,
        TransitionRequestRow.to_stage == to_stage,
        TransitionRequestRow.status == OPEN,
        TransitionRequestRow.creation_timestamp >= since,
    ]
    if creator is not None:
        conditions.append(TransitionRequestRow.user_id == creator)
    result = session.execute(
        update(TransitionRequestRow).where(*conditions).values(status=new_status, last_updated_timestamp=_now_ms())
    )
    return result.rowcount


def no_open_request(name: str, version: str, stage: str, creator: str | None = None) -> DatabricksApiError:
    by = f" by {creator}" if creator else ""
    return DatabricksApiError(
        "RESOURCE_DOES_NOT_EXIST", f"No open request{by} to transition version {version} of '{name}' to {stage}."
    )


def require_manage(user: str | None, stage: str, action: str) -> None:
    if not can_manage_stage(user, stage):
        raise DatabricksApiError(
            "PERMISSION_DENIED", f"User {user} does not have permission to {action} transitions to {stage}."
        )


def record_archived(session, name: str, version: str, to_stage: str, archived: list[str], user: str | None) -> None:
    for other in archived:
        add_activity(
            session,
            name,
            other,
            "SYSTEM_TRANSITION",
            user,
            from_stage=to_stage,
            to_stage="Archived",
            system_comment=f"Archived because version {version} was transitioned to {to_stage}.",
        )


def open_requests_by_version(db: Path, viewer: str, model_version) -> list[dict]:
    return [
        r.to_activity_dict(viewer)
        for r in open_requests(db, model_version.name, str(model_version.version), model_version.creation_timestamp)
    ]


# ---- comments ------------------------------------------------------------------------------------------------


def _require_comment_text(comment) -> str:
    if not isinstance(comment, str) or not comment.strip():
        raise DatabricksApiError("INVALID_PARAMETER_VALUE", "Missing required field: comment")
    return comment


def create_comment(db: Path, user: str, name: str, version: str, comment) -> dict:
    text = _require_comment_text(comment)
    mlflow_store.get_model_version(name, version)
    with session_scope(db) as session:
        row = new_row(CommentRow, model_name=name, version=version, user_id=user, comment=text)
        session.add(row)
        add_activity(session, name, version, "NEW_COMMENT", user, comment=text)
        webhook_events.enqueue(session, [webhook_events.COMMENT_CREATED], name, version=version, comment=text)
        return row.to_dict(user)


def _own_comment(session, user: str, comment_id: str, action: str) -> CommentRow:
    if not comment_id:
        raise DatabricksApiError("INVALID_PARAMETER_VALUE", "Missing required field: id")
    row = session.get(CommentRow, comment_id)
    if row is None:
        raise not_found(f"Comment '{comment_id}' does not exist.")
    if row.user_id != user:
        raise DatabricksApiError("PERMISSION_DENIED", f"Only the author of a comment can {action} it.")
    return row


def update_comment(db: Path, user: str, comment_id: str, comment) -> dict:
    text = _require_comment_text(comment)
    with session_scope(db) as session:
        row = _own_comment(session, user, comment_id, "edit")
        row.comment = text
        row.last_updated_timestamp = _now_ms()
        return row.to_dict(user)


def delete_comment(db: Path, user: str, comment_id: str) -> None:
    with session_scope(db) as session:
        session.delete(_own_comment(session, user, comment_id, "delete"))


def list_comments(db: Path, viewer: str, name: str, version: str) -> list[dict]:
    with session_scope(db) as session:
        rows = session.scalars(
            select(CommentRow)
            .where(CommentRow.model_name == name, CommentRow.version == version)
            .order_by(CommentRow.creation_timestamp)
        )
        return [r.to_dict(viewer) for r in rows]
