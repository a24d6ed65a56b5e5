"""Airflow plugin: the Model Registry extra links (so the UI can render them for serialized DAGs) and the
Databricks registry webhook receiver (a FastAPI app in the API server, `webhook_receiver.app`)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from databricks_registry.links import DatabricksRunPageLink, ModelVersionLink
from databricks_registry.webhook_receiver.app import app as webhook_receiver_app
from databricks_registry.webhook_receiver.settings import URL_PREFIX


class DatabricksRegistryPlugin(AirflowPlugin):
    name = "databricks_registry"
    operator_extra_links = [ModelVersionLink(), DatabricksRunPageLink()]
    fastapi_apps = [
        {"app": webhook_receiver_app, "url_prefix": URL_PREFIX, "name": "Databricks registry webhook receiver"}
    ]
