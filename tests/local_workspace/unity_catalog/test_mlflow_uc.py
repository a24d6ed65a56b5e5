"""MLflow's unmodified `databricks-uc` registry client against the local workspace: register (files through
presigned URLs, DEFAULT_STORAGE), aliases, tags, search vs get, load by alias, and migration of a
workspace-registry version with `copy_model_version`."""

from __future__ import annotations

import numpy as np
import pytest
import requests
from mlflow.exceptions import MlflowException, RestException

X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
Y = np.array([0, 0, 1, 1])


@pytest.fixture(scope="module")
def mlflow_uc(workspace):
    """MLflow as a Databricks notebook is set up for Unity Catalog: tracking `databricks`, registry `databricks-uc`."""
    mp = pytest.MonkeyPatch()
    for key, value in workspace.client_env().items():
        mp.setenv(key, value)
    mp.setenv("MLFLOW_REGISTRY_URI", "databricks-uc")
    import mlflow

    mlflow.set_tracking_uri("databricks")
    mlflow.set_registry_uri("databricks-uc")
    mlflow.set_experiment("/Shared/local-workspace-uc-tests")
    yield mlflow
    mlflow.set_registry_uri("databricks")
    mp.undo()


def _log_model(mlflow, *, signature: bool = True, registered_model_name: str | None = None):
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(X, Y)
    with mlflow.start_run():
        return mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(X, model.predict(X)) if signature else None,
            registered_model_name=registered_model_name,
        )


@pytest.mark.slow  # logs, registers and loads a real sklearn model
def test_register_alias_tags_and_load_by_alias(mlflow_uc, uc_schema, api):
    mlflow = mlflow_uc
    name = f"{uc_schema}.churn_model"
    info = _log_model(mlflow, registered_model_name=name)
    assert str(info.registered_model_version) == "1"
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(name, "champion", "1")
    client.set_model_version_tag(name, "1", "validation_status", "PENDING")
    with pytest.raises(RestException, match=r"Tag name check\.auc contains one or more of the reserved characters"):
        client.set_model_version_tag(name, "1", "check.auc", "PASSED")  # refused by Unity Catalog, as on Databricks
    client.update_model_version(name, "1", description="report")

    version = client.get_model_version(name, "1")
    assert (version.status, version.aliases, version.tags) == ("READY", ["champion"], {"validation_status": "PENDING"})
    assert version.description == "report"
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    assert client.get_registered_model(name).aliases == {"champion": "1"}
    assert [v.version for v in client.search_model_versions(f"name = '{name}'")] == ["1"]
    # As on Databricks: search answers carry neither tags nor aliases (MLflow's ModelVersionSearch); get does.
    searched = api.call(
        "GET", "/api/2.0/mlflow/unity-catalog/model-versions/search", params={"filter": f"name='{name}'"}
    ).json()["model_versions"]
    assert [(v["version"], "tags" in v, "aliases" in v) for v in searched] == [("1", False, False)]

    loaded = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    assert list(loaded.predict(X)) == [0, 0, 1, 1]

    client.delete_model_version_tag(name, "1", "validation_status")
    client.delete_registered_model_alias(name, "champion")
    assert client.get_model_version(name, "1").aliases == []


@pytest.mark.slow  # logs a real sklearn model
def test_registration_needs_a_signature_and_a_three_level_name(mlflow_uc, uc_schema):
    with pytest.raises(MlflowException, match="signature"):
        _log_model(mlflow_uc, signature=False, registered_model_name=f"{uc_schema}.unsigned")
    with pytest.raises(MlflowException, match="three levels.*'databricks'"):
        mlflow_uc.MlflowClient().create_registered_model("churn_model")
    with pytest.raises(RestException, match="Schema 'main.nope' does not exist") as missing:
        mlflow_uc.MlflowClient().create_registered_model("main.nope.m")
    assert missing.value.error_code == "NOT_FOUND"


@pytest.mark.slow  # registers a real model in the workspace registry and copies it
def test_copy_model_version_from_the_workspace_registry(mlflow_uc, uc_schema, model_name):
    mlflow = mlflow_uc
    mlflow.set_registry_uri("databricks")
    try:
        info = _log_model(mlflow, registered_model_name=model_name)
        source = f"models:/{model_name}/{info.registered_model_version}"
        copied = mlflow.MlflowClient(registry_uri="databricks").copy_model_version(source, f"{uc_schema}.migrated")
    finally:
        mlflow.set_registry_uri("databricks-uc")
    assert (copied.name, copied.version, copied.status) == (f"{uc_schema}.migrated", "1", "READY")
    loaded = mlflow.pyfunc.load_model(f"models:/{uc_schema}.migrated/1")
    assert list(loaded.predict(X)) == [0, 0, 1, 1]
    # The workspace registry does not see UC models, and the other way round.
    assert (
        mlflow.MlflowClient(registry_uri="databricks").search_registered_models(f"name = '{uc_schema}.migrated'") == []
    )


def test_model_files_are_reached_only_through_presigned_urls(api, uc_schema, workspace):
    base = "/api/2.0/mlflow/unity-catalog"
    name = f"{uc_schema}.files"
    assert api.call("POST", f"{base}/registered-models/create", json={"name": name}).ok
    version = api.call("POST", f"{base}/model-versions/create", json={"name": name, "source": "x"}).json()
    path = f"/Models/{name.replace('.', '/')}/1/MLmodel"
    credentials = api.call(
        "POST",
        f"{base}/model-versions/generate-temporary-credentials",
        json={"name": name, "version": "1", "operation": "MODEL_VERSION_OPERATION_READ_WRITE"},
    ).json()["credentials"]
    assert credentials["storage_mode"] == "DEFAULT_STORAGE" and version["model_version"]["version"] == "1"
    upload = api.call("POST", "/api/2.0/fs/create-upload-url", json={"path": path}).json()
    assert upload["headers"] == [] and "signature=" in upload["url"]
    assert requests.put(upload["url"], data=b"flavors: {}\n", timeout=30).ok  # no token: the URL is the credential
    tampered = upload["url"].replace("MLmodel", "other")
    assert requests.put(tampered, data=b"x", timeout=30).status_code == 401
    assert requests.get(upload["url"], timeout=30).status_code == 401  # an upload URL does not download

    api.call("POST", f"{base}/model-versions/finalize", json={"name": name, "version": "1"}).raise_for_status()
    late = api.call("POST", "/api/2.0/fs/create-upload-url", json={"path": path})
    assert (late.status_code, late.json()["error_code"]) == (403, "PERMISSION_DENIED")  # READY: files are final
    assert requests.put(upload["url"], data=b"changed", timeout=30).status_code == 403

    download = api.call("POST", "/api/2.0/fs/create-download-url", json={"path": path}).json()
    assert requests.get(download["url"], timeout=30).content == b"flavors: {}\n"
    listing = api.call("GET", f"/api/2.0/fs/directories/Models/{name.replace('.', '/')}/1/").json()
    assert [(e["path"], e["is_directory"]) for e in listing["contents"]] == [(path, False)]
