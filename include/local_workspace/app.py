"""The ASGI app served by `local-workspace serve` (a uvicorn factory: `local_workspace.app:create_app`).

MLflow's own server (Flask app + its FastAPI routers) serves every open-source MLflow endpoint; the Databricks-only
services are Flask blueprints registered on that same app; an auth middleware wraps everything.
"""

from __future__ import annotations

import logging
import os

from local_workspace.artifact_store import ARTIFACT_ROOT_URI, install_server_artifact_repository
from local_workspace.compat import DeleteQueryAsJsonBody
from local_workspace.config import WorkspaceConfig
from local_workspace.errors import DatabricksApiError

log = logging.getLogger(__name__)

# Workspace id reported to databricks-sdk's discovery probe (any stable number; real ones are 16 digits).
WORKSPACE_ID = "1234567890123456"


def configure_mlflow_server_env(config: WorkspaceConfig) -> None:
    """Set the variables `mlflow server` sets for its workers; must run before `mlflow.server` is imported."""
    from mlflow.server import constants  # light module, does not import the server app

    os.environ[constants.BACKEND_STORE_URI_ENV_VAR] = config.mlflow_db_uri
    os.environ[constants.REGISTRY_STORE_URI_ENV_VAR] = config.mlflow_db_uri
    os.environ[constants.ARTIFACT_ROOT_ENV_VAR] = ARTIFACT_ROOT_URI
    os.environ[constants.ARTIFACTS_DESTINATION_ENV_VAR] = config.artifacts_dir.as_uri()
    os.environ[constants.SERVE_ARTIFACTS_ENV_VAR] = "true"
    config.artifacts_dir.mkdir(parents=True, exist_ok=True)


def _databricks_error_response(error: DatabricksApiError):
    from flask import jsonify

    response = jsonify(error.to_dict())
    response.status_code = error.status
    return response


def _http_error_response(error):
    """Unknown API routes and wrong methods answer in Databricks' JSON shape; UI routes keep Flask's page."""
    from flask import jsonify, request

    if not request.path.startswith(("/api/", "/ajax-api/")):
        return error
    code = "ENDPOINT_NOT_FOUND" if error.code == 404 else "BAD_REQUEST"
    response = jsonify({"error_code": code, "message": f"No API found for '{request.method} {request.path}'"})
    response.status_code = error.code
    return response


def _well_known_config():
    from flask import jsonify, request

    # databricks-sdk reads oidc_endpoint/workspace_id from here; PAT auth never uses the OIDC endpoint.
    base = request.host_url.rstrip("/")
    return jsonify({"oidc_endpoint": f"{base}/oidc", "workspace_id": WORKSPACE_ID})


def _register_blueprints(flask_app) -> None:
    from local_workspace.files.urls import blueprint as files_blueprint
    from local_workspace.pages.urls import blueprint as pages_blueprint
    from local_workspace.registry.urls import blueprint as registry_blueprint

    flask_app.register_blueprint(registry_blueprint)
    flask_app.register_blueprint(files_blueprint)
    flask_app.register_blueprint(pages_blueprint)
    try:
        from local_workspace.jobs.urls import blueprint as jobs_blueprint
    except ImportError as exc:
        log.warning("Jobs API not available (local_workspace.jobs.urls: %s); serving without it.", exc)
    else:
        flask_app.register_blueprint(jobs_blueprint)
    flask_app.add_url_rule("/.well-known/databricks-config", "databricks_config", _well_known_config)
    flask_app.register_error_handler(DatabricksApiError, _databricks_error_response)
    flask_app.register_error_handler(404, _http_error_response)
    flask_app.register_error_handler(405, _http_error_response)
    flask_app.wsgi_app = DeleteQueryAsJsonBody(flask_app.wsgi_app)


def init_state(config: WorkspaceConfig) -> None:
    """Create the workspace tables (idempotent)."""
    from local_workspace import db
    from local_workspace.registry import models as _registry_models  # noqa: F401 - declares tables
    from local_workspace.registry import stage_changes as _stage_changes  # noqa: F401 - the stage journal

    try:
        from local_workspace.jobs import models as _jobs_models  # noqa: F401
    except ImportError:
        pass
    db.init_db(config.db_path)


def create_app(config: WorkspaceConfig | None = None):
    config = config or WorkspaceConfig.from_env()
    configure_mlflow_server_env(config)
    from mlflow.server import app as flask_app
    from mlflow.server.fastapi_app import create_fastapi_app

    from local_workspace.auth import AuthMiddleware

    install_server_artifact_repository(config.artifacts_dir)
    if not getattr(flask_app, "_local_workspace_ready", False):
        flask_app.config["LOCAL_WORKSPACE_CONFIG"] = config
        _register_blueprints(flask_app)
        flask_app._local_workspace_ready = True
    init_state(config)
    from local_workspace.registry import stage_changes

    # Every stage write (MLflow's own endpoint too) serialized and journaled; finishes what a crash left.
    stage_changes.install(config.db_path)
    return AuthMiddleware(create_fastapi_app(flask_app), config)
