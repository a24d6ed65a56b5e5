"""Tables of the Unity Catalog emulation (in workspace.db, apart from the workspace registry's MLflow tables).

Deleting a registered model deletes its versions, tags and aliases; deleting a version deletes its tags and the
aliases pointing at it (foreign keys with ON DELETE CASCADE; workspace.db turns foreign keys on).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import BigInteger, ForeignKey, ForeignKeyConstraint, Integer, String, Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from local_workspace.db import Base
from local_workspace.errors import DatabricksApiError

# Reported as `metastore_id` (one metastore per workspace, as a real workspace is assigned one).
METASTORE_ID = "11111111-2222-3333-4444-555555555555"
PENDING_REGISTRATION = "PENDING_REGISTRATION"
READY = "READY"


def now_ms() -> int:
    return int(time.time() * 1000)


def new_id() -> str:
    return str(uuid.uuid4())


class Audited:
    """Who created and last changed an object, and when (epoch milliseconds)."""

    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str] = mapped_column(String(256))

    def touch(self, user: str) -> None:
        self.updated_at, self.updated_by = now_ms(), user


def audit_fields(user: str) -> dict:
    now = now_ms()
    return {"created_at": now, "created_by": user, "updated_at": now, "updated_by": user}


class CatalogRow(Audited, Base):
    __tablename__ = "uc_catalogs"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    id: Mapped[str] = mapped_column(String(36))
    owner: Mapped[str] = mapped_column(String(256))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


class SchemaRow(Audited, Base):
    __tablename__ = "uc_schemas"
    catalog_name: Mapped[str] = mapped_column(
        String(255), ForeignKey("uc_catalogs.name", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    id: Mapped[str] = mapped_column(String(36))
    owner: Mapped[str] = mapped_column(String(256))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def full_name(self) -> str:
        return f"{self.catalog_name}.{self.name}"


class RegisteredModelRow(Audited, Base):
    __tablename__ = "uc_registered_models"
    full_name: Mapped[str] = mapped_column(String(800), primary_key=True)
    catalog_name: Mapped[str] = mapped_column(String(255))
    schema_name: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    id: Mapped[str] = mapped_column(String(36))
    owner: Mapped[str] = mapped_column(String(256))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Versions are never renumbered: a deleted version's number is not given out again.
    last_version: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        ForeignKeyConstraint(
            ["catalog_name", "schema_name"], ["uc_schemas.catalog_name", "uc_schemas.name"], ondelete="CASCADE"
        ),
    )


class ModelVersionRow(Audited, Base):
    __tablename__ = "uc_model_versions"
    model_full_name: Mapped[str] = mapped_column(
        String(800), ForeignKey("uc_registered_models.full_name", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(32), default=PENDING_REGISTRATION)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    run_workspace_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class RegisteredModelTagRow(Base):
    __tablename__ = "uc_registered_model_tags"
    model_full_name: Mapped[str] = mapped_column(
        String(800), ForeignKey("uc_registered_models.full_name", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ModelVersionTagRow(Base):
    __tablename__ = "uc_model_version_tags"
    model_full_name: Mapped[str] = mapped_column(String(800), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        ForeignKeyConstraint(
            ["model_full_name", "version"],
            ["uc_model_versions.model_full_name", "uc_model_versions.version"],
            ondelete="CASCADE",
        ),
    )


class AliasRow(Base):
    """One alias of a model; the primary key makes an alias point at one version at a time."""

    __tablename__ = "uc_model_aliases"
    model_full_name: Mapped[str] = mapped_column(String(800), primary_key=True)
    alias: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        ForeignKeyConstraint(
            ["model_full_name", "version"],
            ["uc_model_versions.model_full_name", "uc_model_versions.version"],
            ondelete="CASCADE",
        ),
    )


def upsert(session, row_class, values: dict, keys: list[str]) -> None:
    """Insert or overwrite one row in one statement (a select-then-insert would race with other workers)."""
    from sqlalchemy.dialects.sqlite import insert

    changed = {k: v for k, v in values.items() if k not in keys}
    session.execute(insert(row_class).values(**values).on_conflict_do_update(index_elements=keys, set_=changed))


@contextmanager
def unique(error: DatabricksApiError) -> Iterator[None]:
    """Turn the unique-key violation of a concurrent creator (the check before the insert passed for both) into
    the same answer the check gives."""
    try:
        yield
    except IntegrityError:
        raise error from None
