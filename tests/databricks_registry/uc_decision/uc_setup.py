"""Make a Unity Catalog model with READY versions on the local workspace, as MLflow's databricks-uc client does."""

from __future__ import annotations

import os

import requests

_UC = "/api/2.0/mlflow/unity-catalog"


def new_uc_model(workspace, versions: int) -> tuple[str, list[str]]:
    """A fresh `main.<schema>.churn_model` with `versions` READY versions ("1", "2", ...)."""
    from databricks.sdk import WorkspaceClient

    schema = f"d{os.getpid()}_{os.urandom(3).hex()}"
    sdk = WorkspaceClient(host=workspace.url, token=workspace.token)
    sdk.schemas.create(name=schema, catalog_name="main")
    sdk.registered_models.create(catalog_name="main", schema_name=schema, name="churn_model")
    full_name = f"main.{schema}.churn_model"
    headers = {"Authorization": f"Bearer {workspace.token}"}
    made = []
    for _ in range(versions):
        created = requests.post(
            f"{workspace.url}{_UC}/model-versions/create",
            json={"name": full_name, "source": "runs:/r/model"},
            headers=headers,
            timeout=30,
        )
        created.raise_for_status()
        version = created.json()["model_version"]["version"]
        requests.post(
            f"{workspace.url}{_UC}/model-versions/finalize",
            json={"name": full_name, "version": version},
            headers=headers,
            timeout=30,
        ).raise_for_status()
        made.append(str(version))
    return full_name, made
