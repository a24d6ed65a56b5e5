"""Shared plumbing of the registry operators: connection and retry settings, the hook, the model-version link."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.links import MODEL_VERSION_URL_KEY, model_version_url


class RegistryOperator(BaseOperator):
    """Base of the registry operators.

    :param databricks_conn_id: the Databricks connection (PAT, OAuth service principal, ... as the provider supports).
    :param retry_limit: attempts per REST call on 429 / 5xx / connection errors (the provider's retry policy).
    :param retry_delay: base delay between those attempts, in seconds.
    :param retry_args: optional `tenacity.Retrying` arguments (stop, wait...), as the provider's operators take.
        Which errors are retried is not configurable: only what is safe to repeat (see `transport.should_retry`).
    """

    def __init__(
        self,
        *,
        databricks_conn_id: str = ModelRegistryHook.default_conn_name,
        retry_limit: int = 3,
        retry_delay: float = 1.0,
        retry_args: dict[Any, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.databricks_conn_id = databricks_conn_id
        self.retry_limit = retry_limit
        self.retry_delay = retry_delay
        self.retry_args = retry_args

    @property
    def hook(self) -> ModelRegistryHook:
        return ModelRegistryHook(
            self.databricks_conn_id,
            retry_limit=self.retry_limit,
            retry_delay=self.retry_delay,
            retry_args=self.retry_args,
            caller=type(self).__name__,
        )

    def push_model_version_link(self, context: Any, hook: ModelRegistryHook, name: str, version: str) -> None:
        context["ti"].xcom_push(key=MODEL_VERSION_URL_KEY, value=model_version_url(hook.workspace_url(), name, version))
