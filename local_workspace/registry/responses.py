"""HTTP handlers of the Databricks-only registry endpoints (request parsing and response shapes only)."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from flask import jsonify, request, send_file

from local_workspace import signing
from local_workspace.context import current_config, require_user
from local_workspace.errors import DatabricksApiError, invalid_parameter
from local_workspace.limits import MAX_COMMENT_CHARS, MAX_STRING_FIELD_CHARS, check_length, parse_int64
from local_workspace.registry import artifacts, mlflow_store, models
from local_workspace.registry.permissions import permission_level


def _params() -> dict:
    """Query parameters, then a JSON body: GET/DELETE use the query string, POST/PATCH a JSON body (some clients
    send GET parameters as a JSON body too)."""
    params = dict(request.args)
    if request.data:
        body = request.get_json(force=True, silent=True)
        if body is None:
            raise DatabricksApiError("MALFORMED_REQUEST", "The request body is not valid JSON.")
        if not isinstance(body, dict):
            raise DatabricksApiError("MALFORMED_REQUEST", "The request body must be a JSON object.")
        params.update(body)
    return params


def _required_str(params: dict, key: str) -> str:
    value = params.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise invalid_parameter(f"Missing required field: {key}")
    return check_length(value, key, MAX_STRING_FIELD_CHARS)


def _name_version(params: dict) -> tuple[str, str]:
    name, version = _required_str(params, "name"), params.get("version")
    if version is None or version == "":
        raise invalid_parameter("Missing required field: version")
    return name, str(parse_int64(version, "version", minimum=1))


def _required_bool(params: dict, key: str) -> bool:
    value = params.get(key)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise invalid_parameter(f"Missing required boolean field: {key}")
    return value


def _optional_comment(params: dict) -> str | None:
    comment = params.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise invalid_parameter("Field comment must be a string.")
    return check_length(comment, "comment", MAX_COMMENT_CHARS)


def _db():
    return current_config().db_path


def create_transition_request():
    p = _params()
    name, version = _name_version(p)
    request_dict = models.create_request(
        _db(), require_user(), name, version, _required_str(p, "stage"), _optional_comment(p)
    )
    return jsonify({"request": request_dict})


def list_transition_requests():
    p = _params()
    name, version = _name_version(p)
    return jsonify({"requests": models.list_open_requests(_db(), require_user(), name, version)})


def approve_transition_request():
    p = _params()
    name, version = _name_version(p)
    activity = models.approve_request(
        _db(),
        require_user(),
        name,
        version,
        _required_str(p, "stage"),
        _required_bool(p, "archive_existing_versions"),
        _optional_comment(p),
    )
    return jsonify({"activity": activity})


def reject_transition_request():
    p = _params()
    name, version = _name_version(p)
    activity = models.reject_request(
        _db(), require_user(), name, version, _required_str(p, "stage"), _optional_comment(p)
    )
    return jsonify({"activity": activity})


def delete_transition_request():
    p = _params()
    name, version = _name_version(p)
    activity = models.cancel_request(
        _db(),
        require_user(),
        name,
        version,
        _required_str(p, "stage"),
        _required_str(p, "creator"),
        _optional_comment(p),
    )
    return jsonify({"activity": activity})


def create_comment():
    p = _params()
    name, version = _name_version(p)
    comment = _optional_comment(p)
    return jsonify({"comment": models.create_comment(_db(), require_user(), name, version, comment)})


def update_comment():
    p = _params()
    comment_id, comment = _required_str(p, "id"), _optional_comment(p)
    return jsonify({"comment": models.update_comment(_db(), require_user(), comment_id, comment)})


def delete_comment():
    p = _params()
    models.delete_comment(_db(), require_user(), _required_str(p, "id"))
    return jsonify({})


def _model_version_databricks(model_version, user: str) -> dict:
    mv = mlflow_store.model_version_json(model_version)
    mv["open_requests"] = models.open_requests_by_version(_db(), user, model_version)
    mv["permission_level"] = permission_level(user)
    return mv


def transition_stage():
    p = _params()
    name, version = _name_version(p)
    user = require_user()
    model_version = models.transition_stage(
        _db(),
        user,
        name,
        version,
        _required_str(p, "stage"),
        _required_bool(p, "archive_existing_versions"),
        _optional_comment(p),
    )
    return jsonify({"model_version_databricks": _model_version_databricks(model_version, user)})


def get_registered_model_databricks():
    name = _required_str(_params(), "name")
    user = require_user()
    registered = mlflow_store.registered_model_json(mlflow_store.get_registered_model(name))
    # Databricks models carry an opaque id; derive a stable one from the name.
    registered["id"] = hashlib.sha256(name.encode()).hexdigest()[:32]
    registered["permission_level"] = permission_level(user)
    return jsonify({"registered_model_databricks": registered})


def list_registered_models():
    p = _params()
    max_results = parse_int64(p.get("max_results", 100), "max_results", minimum=1, maximum=1000)
    page_token = p.get("page_token") or None
    if page_token is not None and not isinstance(page_token, str):
        raise invalid_parameter("Field page_token must be a string.")
    check_length(page_token, "page_token", MAX_STRING_FIELD_CHARS)
    models_page, token = mlflow_store.list_registered_models(max_results, page_token)
    answer = {"registered_models": models_page}
    if token:
        answer["next_page_token"] = token
    return jsonify(answer)


def list_artifacts():
    p = _params()
    name, version = _name_version(p)
    path = p.get("path") or ""
    if not isinstance(path, str):
        raise invalid_parameter("Field path must be a string.")
    check_length(path, "path", MAX_STRING_FIELD_CHARS)
    files = artifacts.list_files(current_config().artifacts_dir, name, version, path)
    return jsonify({"files": [f.to_dict() for f in files]})


def get_signed_download_uri():
    p = _params()
    name, version = _name_version(p)
    path = _required_str(p, "path")
    artifacts.require_file(current_config().artifacts_dir, name, version, path)
    query = signing.sign_download(signing.load_key(current_config().data_dir), name, version, path)
    base = request.host_url.rstrip("/")
    return jsonify({"signed_uri": f"{base}{signing.SIGNED_DOWNLOAD_PATH}?{urlencode(query)}", "headers": []})


def signed_download():
    # The auth middleware already checked the signature; check again so this handler is safe on its own.
    if not signing.verify_download(signing.load_key(current_config().data_dir), dict(request.args)):
        raise DatabricksApiError("PERMISSION_DENIED", "The download signature is invalid or has expired.")
    p = dict(request.args)
    target = artifacts.require_file(current_config().artifacts_dir, p["name"], p["version"], p["path"])
    return send_file(target, mimetype="application/octet-stream", conditional=False)
