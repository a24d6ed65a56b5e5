"""JSON shapes of Unity Catalog objects, as the two APIs answer them.

- MLflow's `databricks-uc` client (`/api/2.0/mlflow/unity-catalog/...`, `databricks_uc_registry_messages.proto`):
  `name` is the full name, `version` a string, `tags`/`aliases` lists. Search answers leave out tags and aliases
  (MLflow's `ModelVersionSearch`/`RegisteredModelSearch` say so): only `get` shows them.
- databricks-sdk (`/api/2.1/unity-catalog/...`, `RegisteredModelInfo`/`ModelVersionInfo`): `full_name`, short
  `name`/`model_name`, integer `version`, `comment`, `created_at`/`created_by`, aliases only when asked
  (`include_aliases`), no tags at all.
"""

from __future__ import annotations

from typing import Any

from local_workspace.unity_catalog.model_versions import ModelVersion
from local_workspace.unity_catalog.models import METASTORE_ID, Audited, CatalogRow, SchemaRow
from local_workspace.unity_catalog.registered_models import RegisteredModel
from local_workspace.unity_catalog.storage import model_files_path, version_files_path


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _audit(row: Audited) -> dict[str, Any]:
    """Who made and last changed an object, when, and where (Unity Catalog's common fields)."""
    return {
        "created_at": row.created_at,
        "created_by": row.created_by,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
        "metastore_id": METASTORE_ID,
    }


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def mlflow_registered_model(model: RegisteredModel, *, search: bool = False) -> dict:
    row = model.row
    answer = {
        "name": row.full_name,
        "creation_timestamp": row.created_at,
        "last_updated_timestamp": row.updated_at,
        "user_id": row.owner,
        "description": row.comment,
    }
    if not search:
        answer["aliases"] = [{"alias": a, "version": str(v)} for a, v in model.aliases.items()]
        answer["tags"] = _tag_list(model.tags)
    return _without_none(answer)


def mlflow_model_version(version: ModelVersion, *, search: bool = False) -> dict:
    row = version.row
    answer: dict[str, Any] = {
        "name": row.model_full_name,
        "version": str(row.version),
        "creation_timestamp": row.created_at,
        "last_updated_timestamp": row.updated_at,
        "user_id": row.created_by,
        "description": row.comment,
        "source": row.source,
        "run_id": row.run_id,
        "run_tracking_server_id": row.run_workspace_id,
        "status": row.status,
        "storage_location": version_files_path(row.model_full_name, row.version),
        "model_id": row.model_id,
    }
    if not search:
        answer["aliases"] = [{"alias": a, "version": str(row.version)} for a in version.aliases]
        answer["tags"] = _tag_list(version.tags)
    return _without_none(answer)


def sdk_alias(full_name: str, alias: str, version: int) -> dict:
    catalog, schema, model = full_name.split(".")
    return {
        "alias_name": alias,
        "version_num": version,
        "catalog_name": catalog,
        "schema_name": schema,
        "model_name": model,
    }


def sdk_registered_model(model: RegisteredModel, *, include_aliases: bool) -> dict:
    row = model.row
    answer: dict[str, Any] = {
        "full_name": row.full_name,
        "name": row.name,
        "catalog_name": row.catalog_name,
        "schema_name": row.schema_name,
        "owner": row.owner,
        "comment": row.comment,
        "storage_location": model_files_path(row.full_name),
        **_audit(row),
        "browse_only": False,
    }
    if include_aliases:
        answer["aliases"] = [sdk_alias(row.full_name, a, v) for a, v in model.aliases.items()]
    return _without_none(answer)


def sdk_model_version(version: ModelVersion, *, include_aliases: bool) -> dict:
    row = version.row
    catalog, schema, model = row.model_full_name.split(".")
    workspace_id = row.run_workspace_id or ""
    answer: dict[str, Any] = {
        "model_name": model,
        "catalog_name": catalog,
        "schema_name": schema,
        "version": row.version,
        "id": row.id,
        "comment": row.comment,
        "source": row.source,
        "run_id": row.run_id,
        "run_workspace_id": int(workspace_id) if workspace_id.isdigit() else None,
        "status": row.status,
        "storage_location": version_files_path(row.model_full_name, row.version),
        **_audit(row),
    }
    if include_aliases:
        answer["aliases"] = [sdk_alias(row.model_full_name, a, row.version) for a in version.aliases]
    return _without_none(answer)


def sdk_catalog(row: CatalogRow) -> dict:
    return _without_none(
        {
            "name": row.name,
            "full_name": row.name,
            "id": row.id,
            "owner": row.owner,
            "comment": row.comment,
            "catalog_type": "MANAGED_CATALOG",
            "securable_type": "CATALOG",
            "isolation_mode": "OPEN",
            **_audit(row),
            "browse_only": False,
        }
    )


def sdk_schema(row: SchemaRow) -> dict:
    return _without_none(
        {
            "name": row.name,
            "catalog_name": row.catalog_name,
            "full_name": row.full_name,
            "schema_id": row.id,
            "owner": row.owner,
            "comment": row.comment,
            "catalog_type": "MANAGED_CATALOG",
            **_audit(row),
            "browse_only": False,
        }
    )
