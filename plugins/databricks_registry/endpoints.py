"""Workspace Model Registry endpoints as `(method, path)`; paths are relative to `{host}/api/`.

GET and DELETE send their parameters as a query string, POST and PATCH as a JSON body (Databricks REST convention).
"""

from __future__ import annotations

from databricks_registry.unity_catalog.endpoints import IDEMPOTENT_WRITES as UC_IDEMPOTENT_WRITES

CREATE_TRANSITION_REQUEST = ("POST", "2.0/mlflow/transition-requests/create")
LIST_TRANSITION_REQUESTS = ("GET", "2.0/mlflow/transition-requests/list")
APPROVE_TRANSITION_REQUEST = ("POST", "2.0/mlflow/transition-requests/approve")
REJECT_TRANSITION_REQUEST = ("POST", "2.0/mlflow/transition-requests/reject")
DELETE_TRANSITION_REQUEST = ("DELETE", "2.0/mlflow/transition-requests/delete")

CREATE_COMMENT = ("POST", "2.0/mlflow/comments/create")
UPDATE_COMMENT = ("PATCH", "2.0/mlflow/comments/update")
DELETE_COMMENT = ("DELETE", "2.0/mlflow/comments/delete")

GET_MODEL_VERSION = ("GET", "2.0/mlflow/model-versions/get")
SEARCH_MODEL_VERSIONS = ("GET", "2.0/mlflow/model-versions/search")
CREATE_MODEL_VERSION = ("POST", "2.0/mlflow/model-versions/create")
SET_MODEL_VERSION_TAG = ("POST", "2.0/mlflow/model-versions/set-tag")
TRANSITION_STAGE_DATABRICKS = ("POST", "2.0/mlflow/databricks/model-versions/transition-stage")

CREATE_REGISTERED_MODEL = ("POST", "2.0/mlflow/registered-models/create")
GET_REGISTERED_MODEL_DATABRICKS = ("GET", "2.0/mlflow/databricks/registered-models/get")

# Calls that may be repeated blindly: reads, and writes whose repeat leaves the same state (a tag set to one value,
# a comment edited to one text). Every other write (approve, reject, comment create, request create...) is retried
# only when the workspace certainly did not apply it (429, lock contention, connection never made). Unity Catalog's
# writes are listed with their endpoints (`unity_catalog/endpoints.py`).
IDEMPOTENT_WRITES = frozenset({SET_MODEL_VERSION_TAG, UPDATE_COMMENT}) | UC_IDEMPOTENT_WRITES


def is_idempotent(endpoint: tuple[str, str]) -> bool:
    return endpoint[0] == "GET" or tuple(endpoint) in IDEMPOTENT_WRITES
