"""Routing of the Unity Catalog emulation (a Flask blueprint registered on MLflow's app)."""

from __future__ import annotations

from flask import Blueprint

from local_workspace import signing
from local_workspace.unity_catalog import files_api, mlflow_api, pages, sdk_api

blueprint = Blueprint("local_workspace_unity_catalog", __name__)

MLFLOW_UC = "/api/2.0/mlflow/unity-catalog"
# (path below MLFLOW_UC, HTTP methods, handler): the methods are those of MLflow's UcModelRegistryService.
MLFLOW_ROUTES = [
    ("registered-models/create", ["POST"], mlflow_api.create_registered_model),
    ("registered-models/get", ["GET"], mlflow_api.get_registered_model),
    ("registered-models/update", ["PATCH"], mlflow_api.update_registered_model),
    ("registered-models/delete", ["DELETE"], mlflow_api.delete_registered_model),
    ("registered-models/search", ["GET"], mlflow_api.search_registered_models),
    ("registered-models/set-tag", ["POST"], mlflow_api.set_registered_model_tag),
    ("registered-models/delete-tag", ["DELETE"], mlflow_api.delete_registered_model_tag),
    ("registered-models/alias", ["POST", "DELETE", "GET"], mlflow_api.alias),
    (
        "registered-models:is-databricks-sdk-models-artifact-repository-enabled",
        ["GET"],
        mlflow_api.sdk_models_artifact_repository_enabled,
    ),
    ("model-versions/create", ["POST"], mlflow_api.create_model_version),
    ("model-versions/finalize", ["POST"], mlflow_api.finalize_model_version),
    ("model-versions/get", ["GET"], mlflow_api.get_model_version),
    ("model-versions/update", ["PATCH"], mlflow_api.update_model_version),
    ("model-versions/delete", ["DELETE"], mlflow_api.delete_model_version),
    ("model-versions/search", ["GET"], mlflow_api.search_model_versions),
    ("model-versions/set-tag", ["POST"], mlflow_api.set_model_version_tag),
    ("model-versions/delete-tag", ["DELETE"], mlflow_api.delete_model_version_tag),
    ("model-versions/get-download-uri", ["GET"], mlflow_api.get_model_version_download_uri),
    ("model-versions/generate-temporary-credentials", ["POST"], mlflow_api.generate_temporary_credentials),
    ("model-versions/emit-lineage", ["POST"], mlflow_api.emit_lineage),
]
for path, methods, handler in MLFLOW_ROUTES:
    blueprint.add_url_rule(f"{MLFLOW_UC}/{path}", f"uc_{path}".replace(".", "_"), handler, methods=methods)

UC = "/api/2.1/unity-catalog"
MODEL = UC + "/models/<full_name>"
blueprint.add_url_rule(UC + "/models", "sdk_create_model", sdk_api.create_registered_model, methods=["POST"])
blueprint.add_url_rule(UC + "/models", "sdk_list_models", sdk_api.list_registered_models, methods=["GET"])
blueprint.add_url_rule(MODEL, "sdk_model", sdk_api.registered_model, methods=["GET", "PATCH", "DELETE"])
blueprint.add_url_rule(MODEL + "/aliases/<alias>", "sdk_alias", sdk_api.model_alias, methods=["GET", "PUT", "DELETE"])
blueprint.add_url_rule(MODEL + "/versions", "sdk_versions", sdk_api.list_model_versions, methods=["GET"])
blueprint.add_url_rule(
    MODEL + "/versions/<version>", "sdk_version", sdk_api.model_version, methods=["GET", "PATCH", "DELETE"]
)
blueprint.add_url_rule(UC + "/catalogs", "sdk_catalogs", sdk_api.catalogs_collection, methods=["GET", "POST"])
blueprint.add_url_rule(UC + "/catalogs/<name>", "sdk_catalog", sdk_api.catalog, methods=["GET"])
blueprint.add_url_rule(UC + "/schemas", "sdk_schemas", sdk_api.schemas_collection, methods=["GET", "POST"])
blueprint.add_url_rule(UC + "/schemas/<full_name>", "sdk_schema", sdk_api.schema, methods=["GET"])

blueprint.add_url_rule("/api/2.0/fs/create-upload-url", "uc_upload_url", files_api.create_upload_url, methods=["POST"])
blueprint.add_url_rule(
    "/api/2.0/fs/create-download-url", "uc_download_url", files_api.create_download_url, methods=["POST"]
)
# More specific than the Files API's `/api/2.0/fs/directories/<path>` (werkzeug tries static segments first).
blueprint.add_url_rule(
    "/api/2.0/fs/directories/Models/<path:rest>", "uc_directory", files_api.list_directory, methods=["GET"]
)
blueprint.add_url_rule(signing.UC_FILE_URL_PATH, "uc_file", files_api.presigned_file, methods=["GET", "HEAD", "PUT"])

# Catalog Explorer's page URLs.
MODEL_PAGE = pages.EXPLORE + "/<catalog>/<schema>/<model>"
blueprint.add_url_rule(pages.EXPLORE, "uc_models_page", pages.models_page, methods=["GET"])
blueprint.add_url_rule(MODEL_PAGE, "uc_model_page", pages.model_page, methods=["GET"])
blueprint.add_url_rule(
    MODEL_PAGE + "/version/<int:version>", "uc_version_page", pages.model_version_page, methods=["GET"]
)
