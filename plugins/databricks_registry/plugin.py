"""Airflow plugin registering the Model Registry extra links (so the UI can render them for serialized DAGs)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from databricks_registry.links import DatabricksRunPageLink, ModelVersionLink


class DatabricksRegistryPlugin(AirflowPlugin):
    name = "databricks_registry"
    operator_extra_links = [ModelVersionLink(), DatabricksRunPageLink()]
