"""Extra links: the model version's registry page and the Databricks run page behind a task.

Operators compute the URL while they run (they have the connection) and push it to XCom; links only read XCom, so
the API server never needs the Databricks connection to render them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

MODEL_VERSION_URL_KEY = "model_version_url"
RUN_PAGE_URL_KEY = "run_page_url"  # same key the provider's submit-run operator uses


def model_version_url(workspace_url: str, model_name: str, version: str | int) -> str:
    """`{host}/#mlflow/models/{name}/versions/{v}` with the name URL-encoded (spaces, quotes, slashes, unicode)."""
    return f"{workspace_url.rstrip('/')}/#mlflow/models/{quote(model_name, safe='')}/versions/{quote(str(version))}"


def model_url(workspace_url: str, model_name: str) -> str:
    """`{host}/#mlflow/models/{name}`: the registered model's page (before a version is known)."""
    return f"{workspace_url.rstrip('/')}/#mlflow/models/{quote(model_name, safe='')}"


class ModelVersionLink(BaseOperatorLink):
    """Link to the model version a task requested, commented on or decided."""

    name = "Model Version"
    xcom_key = MODEL_VERSION_URL_KEY  # the operator pushes the URL under this key

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return XCom.get_value(key=self.xcom_key, ti_key=ti_key) or ""


class DatabricksRunPageLink(BaseOperatorLink):
    """Link to the Databricks run (e.g. the test notebook run) a task's result came from."""

    name = "Databricks Run"
    xcom_key = RUN_PAGE_URL_KEY

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return XCom.get_value(key=self.xcom_key, ti_key=ti_key) or ""
