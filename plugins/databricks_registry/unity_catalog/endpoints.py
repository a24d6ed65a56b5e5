"""Unity Catalog model endpoints as `(method, path)`; paths are relative to `{host}/api/`.

These are the calls MLflow's `databricks-uc` registry client makes on every real workspace
(`mlflow/store/_unity_catalog/registry/rest_store.py`, bodies per `databricks_uc_registry_messages.proto`).
GET and DELETE send their parameters as a query string, POST and PATCH as a JSON body.

Aliases use MLflow's `registered-models/alias` (POST set, DELETE delete, GET get-by-alias) rather than the
`/api/2.1/unity-catalog/models/{full_name}/aliases/{alias}` paths: setting one there needs PUT, which the provider's
request path (our one path for auth, retries and errors) cannot send. Both are served by Databricks.
"""

from __future__ import annotations

_UC = "2.0/mlflow/unity-catalog"

GET_REGISTERED_MODEL = ("GET", f"{_UC}/registered-models/get")

SEARCH_MODEL_VERSIONS = ("GET", f"{_UC}/model-versions/search")
GET_MODEL_VERSION = ("GET", f"{_UC}/model-versions/get")
UPDATE_MODEL_VERSION = ("PATCH", f"{_UC}/model-versions/update")
SET_MODEL_VERSION_TAG = ("POST", f"{_UC}/model-versions/set-tag")
DELETE_MODEL_VERSION_TAG = ("DELETE", f"{_UC}/model-versions/delete-tag")

GET_VERSION_BY_ALIAS = ("GET", f"{_UC}/registered-models/alias")
SET_ALIAS = ("POST", f"{_UC}/registered-models/alias")
DELETE_ALIAS = ("DELETE", f"{_UC}/registered-models/alias")

# Every UC write used here leaves the same state when repeated: an alias pointed at one version, a tag set to one
# value, a description set to one text, an alias or tag removed (the hook reads a repeated delete's 404 as "done").
# So a write whose answer was lost (5xx, reset, timeout) is retried like a read.
IDEMPOTENT_WRITES = frozenset(
    {UPDATE_MODEL_VERSION, SET_MODEL_VERSION_TAG, DELETE_MODEL_VERSION_TAG, SET_ALIAS, DELETE_ALIAS}
)
