"""Routing of the registry extension: a Flask blueprint registered on MLflow's app."""

from __future__ import annotations

from flask import Blueprint

from local_workspace import signing
from local_workspace.registry import responses

blueprint = Blueprint("local_workspace_registry", __name__)

_API = "/api/2.0/mlflow"
# Databricks clients use /api/2.0; MLflow's UI calls the same handlers under /ajax-api/2.0.
ROUTES = [
    ("transition-requests/create", responses.create_transition_request, ["POST"]),
    ("transition-requests/list", responses.list_transition_requests, ["GET"]),
    ("transition-requests/approve", responses.approve_transition_request, ["POST"]),
    ("transition-requests/reject", responses.reject_transition_request, ["POST"]),
    ("transition-requests/delete", responses.delete_transition_request, ["DELETE"]),
    ("comments/create", responses.create_comment, ["POST"]),
    ("comments/update", responses.update_comment, ["PATCH"]),
    ("comments/delete", responses.delete_comment, ["DELETE"]),
    ("databricks/model-versions/transition-stage", responses.transition_stage, ["POST"]),
    ("databricks/registered-models/get", responses.get_registered_model_databricks, ["GET"]),
    ("registered-models/list", responses.list_registered_models, ["GET"]),
    ("model-versions/list-artifacts", responses.list_artifacts, ["GET"]),
    ("model-versions/get-signed-download-uri", responses.get_signed_download_uri, ["GET"]),
]

for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
    for path, handler, methods in ROUTES:
        blueprint.add_url_rule(f"{prefix}/{path}", f"{prefix}/{path}".replace(".", "_"), handler, methods=methods)

blueprint.add_url_rule(signing.SIGNED_DOWNLOAD_PATH, "signed_download", responses.signed_download, methods=["GET"])
