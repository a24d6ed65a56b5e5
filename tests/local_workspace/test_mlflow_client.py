"""The unmodified MLflow client with `databricks` tracking and registry URIs against a started workspace."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import requests


@pytest.fixture(scope="module")
def mlflow_databricks(workspace):
    """MLflow configured exactly as a Databricks notebook or job would be (env vars only)."""
    mp = pytest.MonkeyPatch()
    for key, value in workspace.client_env().items():
        mp.setenv(key, value)
    import mlflow

    mlflow.set_tracking_uri("databricks")
    mlflow.set_registry_uri("databricks")
    yield mlflow
    mp.undo()


def _log_and_register(mlflow, name: str):
    from sklearn.linear_model import LogisticRegression

    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    y = np.array([0, 0, 1, 1])
    mlflow.set_experiment("/Shared/local-workspace-tests")
    with mlflow.start_run() as run:
        mlflow.log_metric("f1", 0.75)
        info = mlflow.sklearn.log_model(
            LogisticRegression().fit(X, y), name="model", registered_model_name=name, input_example=X[:1]
        )
    return run, info, X


@pytest.mark.slow  # logs, registers and loads a real sklearn model
def test_log_register_transition_and_load(mlflow_databricks, model_name):
    mlflow = mlflow_databricks
    name = model_name + " 'quoted' ü"
    run, info, X = _log_and_register(mlflow, name)
    version = str(info.registered_model_version)

    client = mlflow.MlflowClient()
    assert client.get_run(run.info.run_id).data.metrics["f1"] == 0.75
    assert client.get_run(run.info.run_id).info.artifact_uri.startswith("dbfs:/databricks/mlflow-tracking/")

    client.transition_model_version_stage(name, version, "Staging")
    assert client.get_model_version(name, version).current_stage == "Staging"

    loaded = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    assert list(loaded.predict(X)) == [0, 0, 1, 1]
    staged = mlflow.pyfunc.load_model(f"models:/{name}/Staging")
    assert list(staged.predict(X)) == [0, 0, 1, 1]


@pytest.mark.slow  # logs and registers a real sklearn model
def test_model_version_artifacts_listing_and_signed_download(mlflow_databricks, workspace, model_name):
    _, info, _ = _log_and_register(mlflow_databricks, model_name)
    version = str(info.registered_model_version)
    auth = {"Authorization": f"Bearer {workspace.token}"}
    api = workspace.url + "/api/2.0/mlflow/model-versions"

    listing = requests.get(
        f"{api}/list-artifacts", params={"name": model_name, "version": version, "path": ""}, headers=auth, timeout=30
    ).json()
    files = {f["path"]: f for f in listing["files"]}
    assert files["MLmodel"]["is_dir"] is False and files["MLmodel"]["file_size"] > 0

    signed = requests.get(
        f"{api}/get-signed-download-uri",
        params={"name": model_name, "version": version, "path": "MLmodel"},
        headers=auth,
        timeout=30,
    ).json()
    assert signed["headers"] == []
    # The client downloads without its token: the URL carries its own short-lived signature.
    body = requests.get(signed["signed_uri"], timeout=30)
    assert body.status_code == 200 and b"flavors" in body.content

    traversal = requests.get(
        f"{api}/list-artifacts",
        params={"name": model_name, "version": version, "path": "../.."},
        headers=auth,
        timeout=30,
    )
    assert traversal.status_code == 400 and traversal.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_missing_model_errors_have_databricks_shape(mlflow_databricks, model_name):
    from mlflow.exceptions import MlflowException

    client = mlflow_databricks.MlflowClient()
    with pytest.raises(MlflowException) as missing:
        client.get_model_version(model_name, "1")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException):
        mlflow_databricks.pyfunc.load_model(f"models:/{model_name}/1")


def test_run_artifacts_round_trip_and_the_ui_reads_them(mlflow_databricks, workspace, tmp_path):
    mlflow = mlflow_databricks
    mlflow.set_experiment("/Shared/local-workspace-tests")
    with mlflow.start_run() as run:
        mlflow.log_text("hello ü", "notes/a.txt")
    run_id = run.info.run_id
    downloaded = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="notes/a.txt", dst_path=tmp_path)
    assert Path(downloaded).read_text(encoding="utf-8") == "hello ü"
    assert [f.path for f in mlflow.MlflowClient().list_artifacts(run_id, "notes")] == ["notes/a.txt"]

    # The web UI reads the same files through MLflow's own handlers.
    ui = requests.get(
        f"{workspace.url}/get-artifact",
        params={"path": "notes/a.txt", "run_uuid": run_id},
        headers={"Authorization": f"Bearer {workspace.token}"},
        timeout=30,
    )
    assert ui.status_code == 200 and ui.content.decode() == "hello ü"


@pytest.mark.parametrize(
    "path",
    [
        "etc/passwd",
        "WorkspaceInternal/Mlflow/Artifacts/%2e%2e/%2e%2e/escape.txt",
        "WorkspaceInternal/Mlflow/Artifacts/0/Runs/%2e%2e/%2e%2e/%2e%2e/escape.txt",
    ],
)
def test_files_api_stays_inside_the_artifact_store(workspace, path):
    auth = {"Authorization": f"Bearer {workspace.token}"}
    response = requests.put(f"{workspace.url}/api/2.0/fs/files/{path}", data=b"x", headers=auth, timeout=30)
    assert response.status_code in (400, 403), response.text
    assert response.json()["error_code"] in ("PERMISSION_DENIED", "INVALID_PARAMETER_VALUE")
    assert not (workspace.data_dir / "escape.txt").exists()
    assert not (workspace.data_dir.parent / "escape.txt").exists()
