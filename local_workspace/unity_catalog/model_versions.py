"""Versions of Unity Catalog models: created `PENDING_REGISTRATION`, files uploaded, finalized to `READY`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from local_workspace.db import session_scope
from local_workspace.errors import DatabricksApiError
from local_workspace.unity_catalog import permissions
from local_workspace.unity_catalog.models import (
    PENDING_REGISTRATION,
    READY,
    AliasRow,
    ModelVersionRow,
    ModelVersionTagRow,
    RegisteredModelRow,
    audit_fields,
    new_id,
    upsert,
)
from local_workspace.unity_catalog.names import ModelName, not_found
from local_workspace.unity_catalog.registered_models import require_model, require_version


@dataclass(frozen=True)
class ModelVersion:
    row: ModelVersionRow
    aliases: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NewVersion:
    source: str | None = None
    run_id: str | None = None
    run_workspace_id: str | None = None
    model_id: str | None = None
    comment: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


def _snapshot(session: Session, row: ModelVersionRow) -> ModelVersion:
    key = (ModelVersionTagRow.model_full_name == row.model_full_name, ModelVersionTagRow.version == row.version)
    tags = {t.key: t.value for t in session.scalars(select(ModelVersionTagRow).where(*key))}
    aliases = session.scalars(
        select(AliasRow.alias)
        .where(AliasRow.model_full_name == row.model_full_name, AliasRow.version == row.version)
        .order_by(AliasRow.alias)
    )
    return ModelVersion(row, list(aliases), tags)


def create(db_path: Path, user: str, name: ModelName, new: NewVersion) -> ModelVersion:
    with session_scope(db_path) as session:
        model = require_model(session, name)
        # Atomic increment: concurrent creators (other workers too) never get the same number.
        session.execute(
            update(RegisteredModelRow)
            .where(RegisteredModelRow.full_name == name.full_name)
            .values(last_version=RegisteredModelRow.last_version + 1)
        )
        session.refresh(model)
        row = ModelVersionRow(
            model_full_name=name.full_name,
            version=model.last_version,
            id=new_id(),
            status=PENDING_REGISTRATION,
            comment=new.comment,
            source=new.source,
            run_id=new.run_id,
            run_workspace_id=new.run_workspace_id,
            model_id=new.model_id,
            **audit_fields(user),
        )
        session.add(row)
        session.flush()
        session.add_all(
            ModelVersionTagRow(model_full_name=name.full_name, version=row.version, key=k, value=v)
            for k, v in new.tags.items()
        )
        session.flush()
        return _snapshot(session, row)


def finalize(db_path: Path, user: str, name: ModelName, version: int) -> ModelVersion:
    with session_scope(db_path) as session:
        row = require_version(session, name, version)
        if row.status not in (PENDING_REGISTRATION, READY):
            raise DatabricksApiError("INVALID_STATE", f"Model version {version} is {row.status}; it cannot finalize.")
        row.status = READY
        row.touch(user)
        session.flush()
        return _snapshot(session, row)


def status(db_path: Path, name: ModelName, version: int) -> str:
    with session_scope(db_path) as session:
        return require_version(session, name, version).status


def get(db_path: Path, name: ModelName, version: int) -> ModelVersion:
    with session_scope(db_path) as session:
        return _snapshot(session, require_version(session, name, version))


def list_page(
    db_path: Path, names: list[ModelName] | None, run_id: str | None, max_results: int, offset: int
) -> tuple[list[ModelVersion], int | None]:
    """Newest version first; `names=None` means every model. Returns the page and the next offset, if any."""
    with session_scope(db_path) as session:
        for name in names or []:
            require_model(session, name)
        query = select(ModelVersionRow).order_by(ModelVersionRow.model_full_name, ModelVersionRow.version.desc())
        if names is not None:
            query = query.where(ModelVersionRow.model_full_name.in_([n.full_name for n in names]))
        if run_id is not None:
            query = query.where(ModelVersionRow.run_id == run_id)
        rows = list(session.scalars(query.offset(offset).limit(max_results + 1)))
        page = [_snapshot(session, row) for row in rows[:max_results]]
    return page, (offset + max_results if len(rows) > max_results else None)


def update_comment(db_path: Path, user: str, name: ModelName, version: int, comment: str | None) -> ModelVersion:
    """As Unity Catalog: only the model's owner (or a user granted MANAGE) may change a version's description."""
    with session_scope(db_path) as session:
        permissions.require_manage(user, require_model(session, name), f"update the description of version {version}")
        row = require_version(session, name, version)
        if comment is not None:
            row.comment = comment
        row.touch(user)
        session.flush()
        return _snapshot(session, row)


def delete_version(db_path: Path, user: str, name: ModelName, version: int) -> None:
    """Its tags and the aliases pointing at it go with it (ON DELETE CASCADE)."""
    with session_scope(db_path) as session:
        model = require_model(session, name)
        permissions.require_manage(user, model, f"delete version {version}")
        session.delete(require_version(session, name, version))


def set_tag(db_path: Path, user: str, name: ModelName, version: int, key: str, value: str) -> None:
    with session_scope(db_path) as session:
        permissions.require_apply_tag(user, require_model(session, name), f"set tag '{key}'")
        row = require_version(session, name, version)
        values = {"model_full_name": name.full_name, "version": version, "key": key, "value": value}
        upsert(session, ModelVersionTagRow, values, ["model_full_name", "version", "key"])
        row.touch(user)


def delete_tag(db_path: Path, user: str, name: ModelName, version: int, key: str) -> None:
    with session_scope(db_path) as session:
        permissions.require_apply_tag(user, require_model(session, name), f"delete tag '{key}'")
        row = require_version(session, name, version)
        tag = session.get(ModelVersionTagRow, (name.full_name, version, key))
        if tag is None:
            raise not_found("TAG_DOES_NOT_EXIST", f"Tag '{key}' does not exist on version {version}.")
        session.delete(tag)
        row.touch(user)
