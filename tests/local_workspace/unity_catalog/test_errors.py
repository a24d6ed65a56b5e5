"""Bad input to the Unity Catalog endpoints: Databricks' error codes and statuses, and nothing changes."""

from __future__ import annotations

import pytest
import requests

MLFLOW_UC = "/api/2.0/mlflow/unity-catalog"


def _error(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error_code"]


@pytest.fixture()
def model(api, uc_schema) -> str:
    name = f"{uc_schema}.m"
    api.call("POST", f"{MLFLOW_UC}/registered-models/create", json={"name": name}).raise_for_status()
    api.call("POST", f"{MLFLOW_UC}/model-versions/create", json={"name": name}).raise_for_status()
    return name


@pytest.mark.parametrize(
    ("name", "status", "code", "reason"),
    [
        ("churn_model", 400, "INVALID_PARAMETER_VALUE", None),
        ("main.default.has space", 400, "INVALID_PARAMETER_VALUE", None),
        ("main.default.a/b", 400, "INVALID_PARAMETER_VALUE", None),
        ("a.b.c.d", 400, "INVALID_PARAMETER_VALUE", None),
        ("no_such_catalog.default.m", 404, "NOT_FOUND", "CATALOG_DOES_NOT_EXIST"),
        ("main.no_such_schema.m", 404, "NOT_FOUND", "SCHEMA_DOES_NOT_EXIST"),
    ],
)
def test_create_with_a_bad_name(api, name, status, code, reason):
    response = api.call("POST", f"{MLFLOW_UC}/registered-models/create", json={"name": name})
    assert _error(response) == (status, code)
    if reason:
        assert response.json()["details"][0]["reason"] == reason


def test_missing_objects_are_404(api, model):
    get = api.call("GET", f"{MLFLOW_UC}/registered-models/get", params={"name": model + "_other"})
    assert _error(get) == (404, "NOT_FOUND")
    version = api.call("GET", f"{MLFLOW_UC}/model-versions/get", params={"name": model, "version": "9"})
    assert _error(version) == (404, "NOT_FOUND")
    alias = api.call("GET", f"{MLFLOW_UC}/registered-models/alias", params={"name": model, "alias": "champion"})
    assert _error(alias) == (404, "NOT_FOUND")
    unset = api.call("DELETE", f"{MLFLOW_UC}/registered-models/alias", json={"name": model, "alias": "champion"})
    assert _error(unset) == (404, "NOT_FOUND")
    to_missing = {"name": model, "alias": "champion", "version": "9"}
    assert _error(api.call("POST", f"{MLFLOW_UC}/registered-models/alias", json=to_missing)) == (404, "NOT_FOUND")


@pytest.mark.parametrize("alias", ["Champion", "9lives", "latest", "v2", "has-dash", ""])
def test_bad_alias_names(api, model, alias):
    body = {"name": model, "alias": alias, "version": "1"}
    assert _error(api.call("POST", f"{MLFLOW_UC}/registered-models/alias", json=body)) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )


@pytest.mark.parametrize("version", ["one", "0", "-1", "1.5", "١"])
def test_versions_are_positive_integers(api, model, version):
    response = api.call("GET", f"{MLFLOW_UC}/model-versions/get", params={"name": model, "version": version})
    assert _error(response) == (400, "INVALID_PARAMETER_VALUE")


def test_search_filters_and_files_paths(api, model):
    bad_filter = api.call("GET", f"{MLFLOW_UC}/model-versions/search", params={"filter": "tags.x = 'y'"})
    assert _error(bad_filter) == (400, "INVALID_PARAMETER_VALUE")
    by_run = api.call("GET", f"{MLFLOW_UC}/model-versions/search", params={"filter": "run_id = 'none'"})
    assert by_run.json()["model_versions"] == []
    for path in ("/WorkspaceInternal/x", f"/Models/{model.replace('.', '/')}/1/../../2/MLmodel", "/Models/a/b"):
        response = api.call("POST", "/api/2.0/fs/create-upload-url", json={"path": path})
        assert _error(response) == (400, "INVALID_PARAMETER_VALUE"), path


def test_no_token_no_access(workspace, model):
    anonymous = requests.get(f"{workspace.url}/api/2.1/unity-catalog/models/{model}", timeout=30)
    assert _error(anonymous) == (401, "UNAUTHENTICATED")
    unsigned = requests.get(f"{workspace.url}/local-workspace/uc-model-file", params={"path": "/Models/x"}, timeout=30)
    assert unsigned.status_code == 401


HOSTILE = [
    ("POST", f"{MLFLOW_UC}/registered-models/create", {"name": 7}),
    ("POST", f"{MLFLOW_UC}/registered-models/create", {"name": ["main", "default", "m"]}),
    ("POST", f"{MLFLOW_UC}/registered-models/create", {"name": "main.default.t", "tags": "k=v"}),
    ("POST", f"{MLFLOW_UC}/registered-models/create", {"name": "main.default.t", "tags": [{"key": 1}]}),
    ("POST", f"{MLFLOW_UC}/registered-models/create", {"name": "main.default." + "m" * 300}),
    ("POST", f"{MLFLOW_UC}/registered-models/create", {"name": "main.default.t", "description": 5}),
    ("POST", f"{MLFLOW_UC}/model-versions/create", {"name": "main.default.\u0000"}),
    ("POST", f"{MLFLOW_UC}/model-versions/set-tag", {"name": "{model}", "version": "1", "key": "k" * 256}),
    ("POST", f"{MLFLOW_UC}/model-versions/set-tag", {"name": "{model}", "version": "1", "key": "k", "value": 3}),
    (
        "POST",
        f"{MLFLOW_UC}/model-versions/set-tag",
        {"name": "{model}", "version": "1", "key": "k", "value": "v" * 1001},
    ),
    (
        "POST",
        f"{MLFLOW_UC}/registered-models/alias",
        {"name": "{model}", "alias": "a", "version": "99999999999999999999"},
    ),
    ("GET", f"{MLFLOW_UC}/model-versions/search", {"max_results": "-1"}),
    ("GET", f"{MLFLOW_UC}/model-versions/search", {"page_token": "abc"}),
    ("POST", "/api/2.0/fs/create-upload-url", {"path": 5}),
    ("POST", "/api/2.0/fs/create-download-url", {"path": "/Models/main/default/m/1/missing"}),
    ("PUT", "/api/2.1/unity-catalog/models/{model}/aliases/champion", {"version_num": "abc"}),
    ("PUT", "/api/2.1/unity-catalog/models/{model}/aliases/champion", {}),
    ("PATCH", "/api/2.1/unity-catalog/models/{model}/versions/1", {"comment": ["x"]}),
    ("GET", "/api/2.1/unity-catalog/models", {"schema_name": "default"}),
    ("POST", "/api/2.1/unity-catalog/catalogs", {"name": "main"}),
    ("POST", "/api/2.1/unity-catalog/schemas", {"name": "s"}),
    ("GET", "/api/2.1/unity-catalog/schemas/main", None),
    ("GET", "/api/2.1/unity-catalog/models/{model}", {"include_aliases": "maybe"}),
]


@pytest.mark.parametrize(("method", "path", "body"), HOSTILE)
def test_hostile_input_is_a_4xx_in_databricks_shape(api, model, method, path, body):
    path = path.replace("{model}", model)
    if isinstance(body, dict):
        body = {k: v.replace("{model}", model) if isinstance(v, str) else v for k, v in body.items()}
    sent = {"params": body} if method == "GET" else {"json": body}
    response = api.call(method, path, **sent)
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()) >= {"error_code", "message"}


def test_delete_parameters_in_the_query_string(api, model):
    """The Airflow provider's `_do_api_call` sends a DELETE without a body: parameters travel in the URL."""
    body = {"name": model, "alias": "champion", "version": "1"}
    api.call("POST", f"{MLFLOW_UC}/registered-models/alias", json=body).raise_for_status()
    tag = {"name": model, "version": "1", "key": "k", "value": "v"}
    api.call("POST", f"{MLFLOW_UC}/model-versions/set-tag", json=tag).raise_for_status()
    assert api.call("DELETE", f"{MLFLOW_UC}/registered-models/alias", params={"name": model, "alias": "champion"}).ok
    untag = {"name": model, "version": "1", "key": "k"}
    assert api.call("DELETE", f"{MLFLOW_UC}/model-versions/delete-tag", params=untag).ok
    got = api.call("GET", f"{MLFLOW_UC}/model-versions/get", params={"name": model, "version": "1"}).json()
    assert (got["model_version"]["aliases"], got["model_version"]["tags"]) == ([], [])
