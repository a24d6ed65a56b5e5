"""Shared plumbing of the registry operators: the hook and the model-version link."""

from __future__ import annotations

from typing import Any

from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.links import MODEL_VERSION_URL_KEY, model_version_url


class RegistryOperatorMixin:
    databricks_conn_id: str
    retry_limit: int
    retry_delay: float

    @property
    def hook(self) -> ModelRegistryHook:
        return ModelRegistryHook(self.databricks_conn_id, retry_limit=self.retry_limit,
                                 retry_delay=self.retry_delay, caller=type(self).__name__)

    def push_model_version_link(self, context: Any, hook: ModelRegistryHook, name: str, version: str) -> None:
        context["ti"].xcom_push(key=MODEL_VERSION_URL_KEY, value=model_version_url(hook.workspace_url(), name, version))
