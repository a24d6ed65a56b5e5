"""Registered models of Unity Catalog: create, read, list, update, delete, tags and aliases.

Every function takes canonical names (see `names`) and returns snapshots read in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from local_workspace.db import session_scope
from local_workspace.unity_catalog import permissions
from local_workspace.unity_catalog.catalogs import require_schema
from local_workspace.unity_catalog.models import (
    AliasRow,
    ModelVersionRow,
    RegisteredModelRow,
    RegisteredModelTagRow,
    audit_fields,
    new_id,
    unique,
    upsert,
)
from local_workspace.unity_catalog.names import ModelName, already_exists, not_found

_TAG_KEY = ["model_full_name", "key"]


@dataclass(frozen=True)
class RegisteredModel:
    row: RegisteredModelRow
    aliases: dict[str, int] = field(default_factory=dict)  # alias -> version
    tags: dict[str, str] = field(default_factory=dict)


def require_model(session: Session, name: ModelName) -> RegisteredModelRow:
    row = session.get(RegisteredModelRow, name.full_name)
    if row is None:
        require_schema(session, name.catalog, name.schema)  # a missing catalog or schema is named as such
        raise not_found("REGISTERED_MODEL_DOES_NOT_EXIST", f"Registered Model '{name.full_name}' does not exist.")
    return row


def require_version(session: Session, name: ModelName, version: int) -> ModelVersionRow:
    require_model(session, name)
    row = session.get(ModelVersionRow, (name.full_name, version))
    if row is None:
        raise not_found(
            "MODEL_VERSION_DOES_NOT_EXIST", f"Model Version '{name.full_name}' version {version} does not exist."
        )
    return row


def aliases_of(session: Session, full_name: str) -> dict[str, int]:
    query = select(AliasRow).where(AliasRow.model_full_name == full_name).order_by(AliasRow.alias)
    return {row.alias: row.version for row in session.scalars(query)}


def _snapshot(session: Session, row: RegisteredModelRow) -> RegisteredModel:
    tags = session.scalars(select(RegisteredModelTagRow).where(RegisteredModelTagRow.model_full_name == row.full_name))
    return RegisteredModel(row, aliases_of(session, row.full_name), {t.key: t.value for t in tags})


def create(db_path: Path, user: str, name: ModelName, comment: str | None, tags: dict[str, str]) -> RegisteredModel:
    with session_scope(db_path) as session:
        require_schema(session, name.catalog, name.schema)
        exists = already_exists(
            "REGISTERED_MODEL_ALREADY_EXISTS", f"Registered Model '{name.full_name}' already exists."
        )
        if session.get(RegisteredModelRow, name.full_name) is not None:
            raise exists
        row = RegisteredModelRow(
            full_name=name.full_name,
            catalog_name=name.catalog,
            schema_name=name.schema,
            name=name.model,
            id=new_id(),
            owner=user,
            comment=comment,
            last_version=0,
            **audit_fields(user),
        )
        session.add(row)
        with unique(exists):
            session.flush()
        session.add_all(RegisteredModelTagRow(model_full_name=name.full_name, key=k, value=v) for k, v in tags.items())
        session.flush()
        return _snapshot(session, row)


def get(db_path: Path, name: ModelName) -> RegisteredModel:
    with session_scope(db_path) as session:
        return _snapshot(session, require_model(session, name))


def list_page(
    db_path: Path, catalog: str | None, schema: str | None, max_results: int, after: str | None
) -> tuple[list[RegisteredModel], str | None]:
    """One page ordered by full name; the page token is the last name of the page (stable under inserts)."""
    with session_scope(db_path) as session:
        query = select(RegisteredModelRow).order_by(RegisteredModelRow.full_name)
        if catalog is not None:
            query = query.where(RegisteredModelRow.catalog_name == catalog)
        if schema is not None:
            query = query.where(RegisteredModelRow.schema_name == schema)
        if after:
            query = query.where(RegisteredModelRow.full_name > after)
        rows = list(session.scalars(query.limit(max_results + 1)))
        page = [_snapshot(session, row) for row in rows[:max_results]]
    return page, (page[-1].row.full_name if len(rows) > max_results else None)


def update(
    db_path: Path, user: str, name: ModelName, comment: str | None, owner: str | None, new_name: str | None
) -> RegisteredModel:
    from local_workspace.errors import invalid_parameter

    with session_scope(db_path) as session:
        row = require_model(session, name)
        if new_name is not None and new_name.lower() != name.full_name and new_name.lower() != name.model:
            raise invalid_parameter("Renaming a registered model is not supported by the local workspace.")
        if owner is not None:
            permissions.require_manage(user, row, "change its owner")
            row.owner = owner
        if comment is not None:
            permissions.require_manage(user, row, "change its description")
            row.comment = comment
        row.touch(user)
        session.flush()
        return _snapshot(session, row)


def delete_model(db_path: Path, user: str, name: ModelName) -> None:
    with session_scope(db_path) as session:
        row = require_model(session, name)
        permissions.require_manage(user, row, "delete it")
        session.delete(row)


def set_tag(db_path: Path, user: str, name: ModelName, key: str, value: str) -> None:
    with session_scope(db_path) as session:
        row = require_model(session, name)
        permissions.require_apply_tag(user, row, f"set tag '{key}'")
        upsert(
            session, RegisteredModelTagRow, {"model_full_name": name.full_name, "key": key, "value": value}, _TAG_KEY
        )
        row.touch(user)


def delete_tag(db_path: Path, user: str, name: ModelName, key: str) -> None:
    with session_scope(db_path) as session:
        row = require_model(session, name)
        permissions.require_apply_tag(user, row, f"delete tag '{key}'")
        tag = session.get(RegisteredModelTagRow, (name.full_name, key))
        if tag is None:
            raise not_found("TAG_DOES_NOT_EXIST", f"Tag '{key}' does not exist on '{name.full_name}'.")
        session.delete(tag)
        row.touch(user)


def set_alias(db_path: Path, user: str, name: ModelName, alias: str, version: int) -> None:
    """Point `alias` at `version`; an alias names one version at a time, so it leaves any other version."""
    with session_scope(db_path) as session:
        row = require_model(session, name)
        permissions.require_manage(user, row, f"set alias '{alias}'")
        require_version(session, name, version)
        values = {"model_full_name": name.full_name, "alias": alias, "version": version}
        upsert(session, AliasRow, values, ["model_full_name", "alias"])
        row.touch(user)


def delete_alias(db_path: Path, user: str, name: ModelName, alias: str) -> None:
    with session_scope(db_path) as session:
        row = require_model(session, name)
        permissions.require_manage(user, row, f"delete alias '{alias}'")
        result = session.execute(
            delete(AliasRow).where(AliasRow.model_full_name == name.full_name, AliasRow.alias == alias)
        )
        if not result.rowcount:  # type: ignore[attr-defined]  # DML results carry rowcount
            raise not_found("ALIAS_DOES_NOT_EXIST", f"Alias '{alias}' does not exist on '{name.full_name}'.")
        row.touch(user)


def version_by_alias(db_path: Path, name: ModelName, alias: str) -> int:
    with session_scope(db_path) as session:
        require_model(session, name)
        row = session.get(AliasRow, (name.full_name, alias))
        if row is None:
            raise not_found("ALIAS_DOES_NOT_EXIST", f"Alias '{alias}' does not exist on '{name.full_name}'.")
        return row.version
