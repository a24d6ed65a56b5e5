"""Routing of the workspace pages and of the UI bridge: a Flask blueprint registered on MLflow's app."""

from __future__ import annotations

from flask import Blueprint

from local_workspace.pages import bridge, responses

blueprint = Blueprint("local_workspace_pages", __name__)

ROUTES = (
    ("/jobs/runs", "runs", responses.runs_page),
    ("/jobs/runs/<int:run_id>", "run", responses.run_page),
    ("/registry/models", "models", responses.models_page),
    # The name is one URL-encoded segment (MLflow model names cannot contain "/").
    ("/registry/models/<name>/versions/<int:version>", "model_version", responses.model_version_page),
    ("/registry/models/<name>", "model", responses.model_page),
    (f"{bridge.STATIC_PREFIX}/<filename>", "static_asset", bridge.static_asset),
)

for rule, endpoint, handler in ROUTES:
    blueprint.add_url_rule(rule, endpoint, handler, methods=["GET"])

blueprint.after_app_request(bridge.inject_bridge)
