"""Routing of the registry extension: a Flask blueprint registered on MLflow's app."""

from __future__ import annotations

from flask import Blueprint

from local_workspace import signing
from local_workspace.registry import responses

blueprint = Blueprint("local_workspace_registry", __name__)

# Under /api/2.0/mlflow (Databricks clients) and /ajax-api/2.0/mlflow (MLflow's UI), by HTTP method.
ROUTES = {
    "POST": {
        "transition-requests/create": responses.create_transition_request,
        "transition-requests/approve": responses.approve_transition_request,
        "transition-requests/reject": responses.reject_transition_request,
        "comments/create": responses.create_comment,
        "databricks/model-versions/transition-stage": responses.transition_stage,
    },
    "GET": {
        "transition-requests/list": responses.list_transition_requests,
        "databricks/registered-models/get": responses.get_registered_model_databricks,
        "registered-models/list": responses.list_registered_models,
        "model-versions/list-artifacts": responses.list_artifacts,
        "model-versions/get-signed-download-uri": responses.get_signed_download_uri,
    },
    "PATCH": {"comments/update": responses.update_comment},
    "DELETE": {
        "transition-requests/delete": responses.delete_transition_request,
        "comments/delete": responses.delete_comment,
    },
}

for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
    for method, handlers in ROUTES.items():
        for path, handler in handlers.items():
            rule = f"{prefix}/{path}"
            blueprint.add_url_rule(rule, rule.replace(".", "_"), handler, methods=[method])

blueprint.add_url_rule(signing.SIGNED_DOWNLOAD_PATH, "signed_download", responses.signed_download, methods=["GET"])
