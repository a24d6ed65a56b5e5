"""Handlers of MLflow's `databricks-uc` registry client: `/api/2.0/mlflow/unity-catalog/...`.

Request and answer shapes follow `databricks_uc_registry_messages.proto` (see `shapes`). Search answers carry no
tags or aliases, as on Databricks; `get` and `registered-models/alias` (GET) do.
"""

from __future__ import annotations

import re
import time

from flask import jsonify, request

from local_workspace.context import require_user
from local_workspace.errors import DatabricksApiError, invalid_parameter
from local_workspace.limits import parse_int64
from local_workspace.unity_catalog import model_versions, registered_models, shapes, storage
from local_workspace.unity_catalog.http import (
    data_dir,
    db,
    description,
    page_size,
    params,
    tag_key,
    tag_value,
    tags,
    text,
)
from local_workspace.unity_catalog.names import alias_name, model_name, version_number

# What MLflow's UC client sends as `filter` (one condition): name = '...' or run_id = '...'.
_FILTER = re.compile(r"""^\s*(name|run_id)\s*=\s*(?:'([^']*)'|"([^"]*)")\s*$""")
DEFAULT_STORAGE = "DEFAULT_STORAGE"
CREDENTIALS_TTL_MS = 15 * 60 * 1000


def _name_and_version(values: dict) -> tuple:
    return model_name(values.get("name")), version_number(values.get("version"))


def create_registered_model():
    values = params()
    name = model_name(values.get("name"))
    model = registered_models.create(db(), require_user(), name, description(values, "description"), tags(values))
    return jsonify({"registered_model": shapes.mlflow_registered_model(model)})


def get_registered_model():
    model = registered_models.get(db(), model_name(params().get("name")))
    return jsonify({"registered_model": shapes.mlflow_registered_model(model)})


def update_registered_model():
    values = params()
    name = model_name(values.get("name"))
    new_name = text(values, "new_name")
    model = registered_models.update(db(), require_user(), name, description(values, "description"), None, new_name)
    return jsonify({"registered_model": shapes.mlflow_registered_model(model)})


def delete_registered_model():
    name = model_name(params().get("name"))
    registered_models.delete_model(db(), require_user(), name)
    storage.remove_version_files(data_dir(), name)
    return jsonify({})


def search_registered_models():
    values = params()
    page, token = registered_models.list_page(db(), None, None, page_size(values), text(values, "page_token"))
    answer: dict = {"registered_models": [shapes.mlflow_registered_model(m, search=True) for m in page]}
    if token:
        answer["next_page_token"] = token
    return jsonify(answer)


def set_registered_model_tag():
    values = params()
    key, value = tag_key(values.get("key")), tag_value(values.get("value"))
    registered_models.set_tag(db(), require_user(), model_name(values.get("name")), key, value)
    return jsonify({})


def delete_registered_model_tag():
    values = params()
    registered_models.delete_tag(db(), require_user(), model_name(values.get("name")), tag_key(values.get("key")))
    return jsonify({})


def alias():
    """POST sets, DELETE removes, GET resolves an alias (one path, three RPCs, as in the proto's service)."""
    values = params()
    name, alias = model_name(values.get("name")), alias_name(values.get("alias"))
    if request.method == "POST":
        registered_models.set_alias(db(), require_user(), name, alias, version_number(values.get("version")))
        return jsonify({})
    if request.method == "DELETE":
        registered_models.delete_alias(db(), require_user(), name, alias)
        return jsonify({})
    version = registered_models.version_by_alias(db(), name, alias)
    return jsonify({"model_version": shapes.mlflow_model_version(model_versions.get(db(), name, version))})


def create_model_version():
    values = params()
    name = model_name(values.get("name"))
    new = model_versions.NewVersion(
        source=text(values, "source"),
        run_id=text(values, "run_id"),
        run_workspace_id=text(values, "run_tracking_server_id"),
        model_id=text(values, "model_id"),
        comment=description(values, "description"),
        tags=tags(values),
    )
    version = model_versions.create(db(), require_user(), name, new)
    return jsonify({"model_version": shapes.mlflow_model_version(version)})


def finalize_model_version():
    name, number = _name_and_version(params())
    return jsonify(
        {"model_version": shapes.mlflow_model_version(model_versions.finalize(db(), require_user(), name, number))}
    )


def get_model_version():
    name, number = _name_and_version(params())
    return jsonify({"model_version": shapes.mlflow_model_version(model_versions.get(db(), name, number))})


def update_model_version():
    values = params()
    name, number = _name_and_version(values)
    version = model_versions.update_comment(db(), require_user(), name, number, description(values, "description"))
    return jsonify({"model_version": shapes.mlflow_model_version(version)})


def delete_model_version():
    name, number = _name_and_version(params())
    model_versions.delete_version(db(), require_user(), name, number)
    storage.remove_version_files(data_dir(), name, number)
    return jsonify({})


def search_model_versions():
    values = params()
    names, run_id = _search_filter(text(values, "filter"))
    offset = parse_int64(values.get("page_token") or 0, "page_token")
    page, next_offset = model_versions.list_page(db(), names, run_id, page_size(values), offset)
    answer: dict = {"model_versions": [shapes.mlflow_model_version(v, search=True) for v in page]}
    if next_offset is not None:
        answer["next_page_token"] = str(next_offset)
    return jsonify(answer)


def _search_filter(filter_string: str | None) -> tuple[list | None, str | None]:
    if not filter_string:
        return None, None
    match = _FILTER.match(filter_string)
    if match is None:
        raise invalid_parameter(
            f"Unsupported filter {filter_string[:200]!r}: Unity Catalog supports one condition, "
            "name = '<catalog>.<schema>.<model>' or run_id = '<run id>'."
        )
    field, value = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
    return ([model_name(value, "filter")], None) if field == "name" else (None, value)


def set_model_version_tag():
    values = params()
    name, number = _name_and_version(values)
    key, value = tag_key(values.get("key")), tag_value(values.get("value"))
    model_versions.set_tag(db(), require_user(), name, number, key, value)
    return jsonify({})


def delete_model_version_tag():
    values = params()
    name, number = _name_and_version(values)
    model_versions.delete_tag(db(), require_user(), name, number, tag_key(values.get("key")))
    return jsonify({})


def get_model_version_download_uri():
    name, number = _name_and_version(params())
    model_versions.get(db(), name, number)
    return jsonify({"artifact_uri": storage.version_files_path(name.full_name, number)})


def generate_temporary_credentials():
    """No cloud credentials: the files stay in the workspace (DEFAULT_STORAGE), reached by presigned URLs."""
    values = params()
    name, number = _name_and_version(values)
    status = model_versions.status(db(), name, number)
    operation = values.get("operation", "MODEL_VERSION_OPERATION_READ")
    if operation == "MODEL_VERSION_OPERATION_READ_WRITE" and status != "PENDING_REGISTRATION":
        raise DatabricksApiError(
            "INVALID_STATE", f"Model version {number} of '{name.full_name}' is {status}; its files are read-only."
        )
    expiration = int(time.time() * 1000) + CREDENTIALS_TTL_MS
    return jsonify({"credentials": {"storage_mode": DEFAULT_STORAGE, "expiration_time": expiration}})


def sdk_models_artifact_repository_enabled():
    # False: the client then asks for temporary credentials, which answer DEFAULT_STORAGE (presigned URLs).
    return jsonify({"is_databricks_sdk_models_artifact_repository_enabled": False})


def emit_lineage():
    return jsonify({})  # lineage is not recorded by the local workspace
