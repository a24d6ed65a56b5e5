"""HTTP handlers of the Databricks-only registry endpoints (request parsing and response shapes only)."""

from __future__ import annotations

import hashlib
from typing import TypeVar
from urllib.parse import urlencode

from flask import jsonify, request, send_file

from local_workspace import signing
from local_workspace.context import current_config, require_user
from local_workspace.errors import DatabricksApiError
from local_workspace.registry import artifacts, mlflow_store, models, transitions
from local_workspace.registry.permissions import permission_level
from local_workspace.registry.requests import (
    ArtifactFile,
    ArtifactFolder,
    CancelRequest,
    CommentEdit,
    CommentRef,
    ModelName,
    ModelsPage,
    ModelVersionRef,
    NewComment,
    StageDecision,
    StageRequest,
)
from local_workspace.validation import RequestModel, validate

Request = TypeVar("Request", bound=RequestModel)


def _params(shape: type[Request]) -> Request:
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
    return validate(shape, params)


def _db():
    return current_config().db_path


def create_transition_request():
    p = _params(StageRequest)
    return jsonify({"request": models.create_request(_db(), require_user(), p.name, p.version, p.stage, p.comment)})


def list_transition_requests():
    p = _params(ModelVersionRef)
    return jsonify({"requests": transitions.list_open_requests(_db(), require_user(), p.name, p.version)})


def approve_transition_request():
    p = _params(StageDecision)
    archive = p.archive_existing_versions
    activity = transitions.approve_request(_db(), require_user(), p.name, p.version, p.stage, archive, p.comment)
    return jsonify({"activity": activity})


def reject_transition_request():
    p = _params(StageRequest)
    return jsonify(
        {"activity": transitions.reject_request(_db(), require_user(), p.name, p.version, p.stage, p.comment)}
    )


def delete_transition_request():
    p = _params(CancelRequest)
    activity = transitions.cancel_request(_db(), require_user(), p.name, p.version, p.stage, p.creator, p.comment)
    return jsonify({"activity": activity})


def create_comment():
    p = _params(NewComment)
    return jsonify({"comment": models.create_comment(_db(), require_user(), p.name, p.version, p.comment)})


def update_comment():
    p = _params(CommentEdit)
    return jsonify({"comment": models.update_comment(_db(), require_user(), p.id, p.comment)})


def delete_comment():
    models.delete_comment(_db(), require_user(), _params(CommentRef).id)
    return jsonify({})


def transition_stage():
    p = _params(StageDecision)
    user = require_user()
    archive = p.archive_existing_versions
    model_version = transitions.transition_stage(_db(), user, p.name, p.version, p.stage, archive, p.comment)
    answer = mlflow_store.model_version_json(model_version)
    answer["open_requests"] = models.open_requests_by_version(_db(), user, model_version)
    answer["permission_level"] = permission_level(user)
    return jsonify({"model_version_databricks": answer})


def get_registered_model_databricks():
    name = _params(ModelName).name
    user = require_user()
    registered = mlflow_store.registered_model_json(mlflow_store.get_registered_model(name))
    # Databricks models carry an opaque id; derive a stable one from the name.
    registered["id"] = hashlib.sha256(name.encode()).hexdigest()[:32]
    registered["permission_level"] = permission_level(user)
    return jsonify({"registered_model_databricks": registered})


def list_registered_models():
    p = _params(ModelsPage)
    models_page, token = mlflow_store.list_registered_models(p.max_results, p.page_token)
    return jsonify({"registered_models": models_page, **({"next_page_token": token} if token else {})})


def list_artifacts():
    p = _params(ArtifactFolder)
    files = artifacts.list_files(current_config().artifacts_dir, p.name, p.version, p.path or "")
    return jsonify({"files": [f.to_dict() for f in files]})


def get_signed_download_uri():
    p = _params(ArtifactFile)
    artifacts.require_file(current_config().artifacts_dir, p.name, p.version, p.path)
    query = signing.sign_download(signing.load_key(current_config().data_dir), p.name, p.version, p.path)
    base = request.host_url.rstrip("/")
    return jsonify({"signed_uri": f"{base}{signing.SIGNED_DOWNLOAD_PATH}?{urlencode(query)}", "headers": []})


def signed_download():
    # The auth middleware already checked the signature; check again so this handler is safe on its own.
    if not signing.verify_download(signing.load_key(current_config().data_dir), dict(request.args)):
        raise DatabricksApiError("PERMISSION_DENIED", "The download signature is invalid or has expired.")
    p = dict(request.args)
    target = artifacts.require_file(current_config().artifacts_dir, p["name"], p["version"], p["path"])
    return send_file(target, mimetype="application/octet-stream", conditional=False)
