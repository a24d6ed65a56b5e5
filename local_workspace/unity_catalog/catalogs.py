"""Catalogs and schemas: the minimum a client needs to find or make a place for its models.

A new workspace has catalog `main` with schema `default`, as a workspace attached to a Unity Catalog metastore
has; anything else is created through the API (`catalogs.create`, `schemas.create`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from local_workspace.db import session_scope
from local_workspace.unity_catalog.models import CatalogRow, SchemaRow, audit_fields, new_id, unique
from local_workspace.unity_catalog.names import already_exists, identifier, not_found

SEED_CATALOG, SEED_SCHEMA = "main", "default"
SYSTEM_USER = "System user"


def seed(db_path: Path) -> None:
    """Catalog `main` with schema `default` (idempotent; several workers may run it at once)."""
    from sqlalchemy.dialects.sqlite import insert

    with session_scope(db_path) as session:
        fields = {"id": new_id(), "owner": SYSTEM_USER, "comment": None, **audit_fields(SYSTEM_USER)}
        session.execute(insert(CatalogRow).values(name=SEED_CATALOG, **fields).on_conflict_do_nothing())
        session.execute(
            insert(SchemaRow)
            .values(catalog_name=SEED_CATALOG, name=SEED_SCHEMA, **{**fields, "id": new_id()})
            .on_conflict_do_nothing()
        )


def require_catalog(session: Session, name: str) -> CatalogRow:
    row = session.get(CatalogRow, name)
    if row is None:
        raise not_found("CATALOG_DOES_NOT_EXIST", f"Catalog '{name}' does not exist.")
    return row


def require_schema(session: Session, catalog: str, schema: str) -> SchemaRow:
    require_catalog(session, catalog)
    row = session.get(SchemaRow, (catalog, schema))
    if row is None:
        raise not_found("SCHEMA_DOES_NOT_EXIST", f"Schema '{catalog}.{schema}' does not exist.")
    return row


def create_catalog(db_path: Path, user: str, name: object, comment: str | None) -> CatalogRow:
    name = identifier(name, "name")
    with session_scope(db_path) as session:
        exists = already_exists("CATALOG_ALREADY_EXISTS", f"Catalog '{name}' already exists.")
        if session.get(CatalogRow, name) is not None:
            raise exists
        row = CatalogRow(name=name, id=new_id(), owner=user, comment=comment, **audit_fields(user))
        session.add(row)
        with unique(exists):
            session.flush()
    return row


def get_catalog(db_path: Path, name: str) -> CatalogRow:
    with session_scope(db_path) as session:
        return require_catalog(session, identifier(name, "catalog name"))


def list_catalogs(db_path: Path) -> list[CatalogRow]:
    with session_scope(db_path) as session:
        return list(session.scalars(select(CatalogRow).order_by(CatalogRow.name)))


def create_schema(db_path: Path, user: str, catalog: object, name: object, comment: str | None) -> SchemaRow:
    catalog_name, schema = identifier(catalog, "catalog_name"), identifier(name, "name")
    with session_scope(db_path) as session:
        require_catalog(session, catalog_name)
        exists = already_exists("SCHEMA_ALREADY_EXISTS", f"Schema '{catalog_name}.{schema}' already exists.")
        if session.get(SchemaRow, (catalog_name, schema)) is not None:
            raise exists
        fields = audit_fields(user)
        row = SchemaRow(catalog_name=catalog_name, name=schema, id=new_id(), owner=user, comment=comment, **fields)
        session.add(row)
        with unique(exists):
            session.flush()
    return row


def get_schema(db_path: Path, catalog: str, name: str) -> SchemaRow:
    with session_scope(db_path) as session:
        return require_schema(session, catalog, name)


def list_schemas(db_path: Path, catalog: object) -> list[SchemaRow]:
    catalog_name = identifier(catalog, "catalog_name")
    with session_scope(db_path) as session:
        require_catalog(session, catalog_name)
        query = select(SchemaRow).where(SchemaRow.catalog_name == catalog_name).order_by(SchemaRow.name)
        return list(session.scalars(query))
