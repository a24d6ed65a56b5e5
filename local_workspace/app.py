"""The ASGI app served by `local-workspace serve` (a uvicorn factory: `local_workspace.app:create_app`).

MLflow's own server (Flask app + its FastAPI routers) serves every open-source MLflow endpoint; the Databricks-only
services are Flask blueprints registered on that same app; an auth middleware wraps everything.
"""

from __future__ import annotations

import json
import logging
import os

from local_workspace.artifact_store import ARTIFACT_ROOT_URI, install_server_artifact_repository
from local_workspace.compat import DeleteQueryAsJsonBody
from local_workspace.config import WorkspaceConfig
from local_workspace.errors import DatabricksApiError
from local_workspace.request_guard import API_PREFIXES, RequestGuard

log = logging.getLogger(__name__)

# Workspace id reported to databricks-sdk's discovery probe (any stable number; real ones are 16 digits).
WORKSPACE_ID = "1234567890123456"
HTTP_ERROR_CODES = {
    400: "MALFORMED_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    409: "RESOURCE_CONFLICT",
    413: "REQUEST_LIMIT_EXCEEDED",
    415: "MALFORMED_REQUEST",
}


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


def _is_api_request() -> bool:
    from flask import request

    return request.path.startswith(API_PREFIXES)


def _http_error_response(error):
    """HTTP errors of API routes (unknown route, wrong method, unreadable body) answer in Databricks' JSON shape;
    UI routes keep Flask's page."""
    if not _is_api_request():
        return error
    from flask import request

    if error.code in (404, 405):
        code = "ENDPOINT_NOT_FOUND" if error.code == 404 else "BAD_REQUEST"
        message = f"No API found for '{request.method} {request.path}'"
    else:
        code = HTTP_ERROR_CODES.get(error.code, "BAD_REQUEST" if error.code < 500 else "INTERNAL_ERROR")
        message = error.description or error.name
    return _databricks_error_response(DatabricksApiError(code, message, error.code))


def _unexpected_error_response(error: Exception):
    """Exceptions no handler caught: input a parser or SQLite could not take is the client's error (400), the rest
    is ours (500) -- on API routes always as JSON, never Flask's HTML page."""
    from mlflow.exceptions import MlflowException
    from werkzeug.exceptions import InternalServerError

    if isinstance(error, MlflowException) and _is_api_request():
        api_error = DatabricksApiError(error.error_code, error.message, error.get_http_status_code())
    elif isinstance(error, RecursionError):
        api_error = DatabricksApiError("MALFORMED_REQUEST", "The request nests too deeply to be read.")
    elif isinstance(error, OverflowError):
        api_error = DatabricksApiError("INVALID_PARAMETER_VALUE", f"A number in the request is too large: {error}")
    elif isinstance(error, UnicodeError):
        api_error = DatabricksApiError(
            "INVALID_PARAMETER_VALUE",
            "The request contains text that is not valid Unicode (e.g. an unpaired surrogate).",
        )
    else:
        log.error("unhandled error in %s", type(error).__name__, exc_info=error)
        if not _is_api_request():
            return InternalServerError(original_exception=error)
        api_error = DatabricksApiError("INTERNAL_ERROR", "Internal error of the local workspace; see its log.")
    return _databricks_error_response(api_error)


def _overflow_reported_as_internal(response):
    """MLflow's handlers report a number SQLite cannot store as INTERNAL_ERROR (500); it is the client's error.
    (The request guard rejects such numbers in known fields first; this covers the ones nested elsewhere.)"""
    if (
        response.status_code == 500
        and response.mimetype == "application/json"
        and not response.direct_passthrough
        and b"too large to convert to SQLite INTEGER" in response.get_data()
    ):
        error = DatabricksApiError("INVALID_PARAMETER_VALUE", "A number in the request does not fit in 64 bits.")
        response.set_data(json.dumps(error.to_dict()))
        response.status_code = error.status
    return response


def _workspace_id_header(response):
    """Databricks names the workspace in every API answer; MLflow's databricks-uc client records it as the
    version's `run_tracking_server_id` (and warns without it)."""
    if _is_api_request():
        response.headers.setdefault("X-Databricks-Org-Id", WORKSPACE_ID)
    return response


def _well_known_config():
    from flask import jsonify, request

    # databricks-sdk reads oidc_endpoint/workspace_id from here; PAT auth never uses the OIDC endpoint.
    base = request.host_url.rstrip("/")
    return jsonify({"oidc_endpoint": f"{base}/oidc", "workspace_id": WORKSPACE_ID})


def _register_blueprints(flask_app) -> None:
    from werkzeug.exceptions import HTTPException

    from local_workspace.files.urls import blueprint as files_blueprint
    from local_workspace.jobs.urls import blueprint as jobs_blueprint
    from local_workspace.pages.urls import blueprint as pages_blueprint
    from local_workspace.registry.urls import blueprint as registry_blueprint
    from local_workspace.unity_catalog.urls import blueprint as unity_catalog_blueprint

    # Unity Catalog before the Files API: its `/api/2.0/fs/directories/Models/...` rule must be seen first.
    for blueprint in (registry_blueprint, unity_catalog_blueprint, files_blueprint, pages_blueprint, jobs_blueprint):
        flask_app.register_blueprint(blueprint)
    flask_app.add_url_rule("/.well-known/databricks-config", "databricks_config", _well_known_config)
    flask_app.register_error_handler(DatabricksApiError, _databricks_error_response)
    flask_app.register_error_handler(HTTPException, _http_error_response)
    flask_app.register_error_handler(Exception, _unexpected_error_response)
    flask_app.after_request(_overflow_reported_as_internal)
    flask_app.after_request(_workspace_id_header)
    flask_app.wsgi_app = DeleteQueryAsJsonBody(flask_app.wsgi_app)


def init_state(config: WorkspaceConfig) -> None:
    """Create the workspace tables (idempotent)."""
    from local_workspace import db
    from local_workspace.jobs import models as _jobs_models  # noqa: F401 - declares tables
    from local_workspace.registry import models as _registry_models  # noqa: F401 - declares tables
    from local_workspace.registry import stage_changes as _stage_changes  # noqa: F401 - the stage journal
    from local_workspace.unity_catalog import catalogs
    from local_workspace.unity_catalog import models as _unity_catalog_models  # noqa: F401 - declares tables

    db.init_db(config.db_path)
    catalogs.seed(config.db_path)


def create_app(config: WorkspaceConfig | None = None):
    config = config or WorkspaceConfig.from_env()
    configure_mlflow_server_env(config)
    from mlflow.server import app as flask_app
    from mlflow.server.fastapi_app import create_fastapi_app

    from local_workspace.auth import AuthMiddleware

    install_server_artifact_repository(config.artifacts_dir)
    # MLflow's Flask app is a module-level singleton: register our routes on it once per process.
    if "LOCAL_WORKSPACE_CONFIG" not in flask_app.config:
        _register_blueprints(flask_app)
    flask_app.config["LOCAL_WORKSPACE_CONFIG"] = config
    init_state(config)
    from local_workspace.registry import stage_changes

    # Every stage write (MLflow's own endpoint too) serialized and journaled; finishes what a crash left.
    stage_changes.install(config.db_path)
    return AuthMiddleware(RequestGuard(create_fastapi_app(flask_app)), config)
