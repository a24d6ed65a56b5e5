"""Shared plumbing of the registry operators: connection and retry settings, the hook, the model-version link."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from databricks_registry.hooks import ModelRegistryHook, RegistryHookMixin
from databricks_registry.links import MODEL_VERSION_URL_KEY, model_version_url


class DatabricksCallsOperator(BaseOperator):
    """Connection and HTTP retry settings of an operator that calls the workspace (the registry operators, the
    Unity Catalog ones).

    :param databricks_conn_id: the Databricks connection (PAT, OAuth service principal, ... as the provider supports).
    :param retry_limit: attempts per REST call on 429 / 5xx / connection errors (the provider's retry policy).
    :param databricks_retry_delay: base delay between those attempts, in seconds (`retry_delay` stays Airflow's
        delay between task tries, as for the provider's operators).
    :param retry_args: optional `tenacity.Retrying` arguments (stop, wait...), as the provider's operators take.
        Which errors are retried is not configurable: only what is safe to repeat (see `transport.should_retry`).
    """

    def __init__(
        self,
        *,
        databricks_conn_id: str = ModelRegistryHook.default_conn_name,
        retry_limit: int = 3,
        databricks_retry_delay: float = 1.0,
        retry_args: dict[Any, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.databricks_conn_id = databricks_conn_id
        self.retry_limit = retry_limit
        self.databricks_retry_delay = databricks_retry_delay
        self.retry_args = retry_args


class RegistryOperator(RegistryHookMixin, DatabricksCallsOperator):
    """Base of the Workspace Model Registry operators (arguments: `DatabricksCallsOperator`)."""

    def push_model_version_link(self, context: Any, hook: ModelRegistryHook, name: str, version: str) -> None:
        context["ti"].xcom_push(key=MODEL_VERSION_URL_KEY, value=model_version_url(hook.workspace_url(), name, version))
