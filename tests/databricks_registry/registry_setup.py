"""Set up registry state for tests and benches through the REST API (`hook.call`), not through the hook's surface:
creating models and versions or moving stages directly is not something the DAGs (or the hook) do."""

from __future__ import annotations

from databricks_registry import endpoints as ep
from databricks_registry.hooks import ModelRegistryHook


def create_model(hook: ModelRegistryHook, name: str) -> None:
    hook.call(ep.CREATE_REGISTERED_MODEL, {"name": name})


def create_version(hook: ModelRegistryHook, name: str, source: str) -> str:
    return str(hook.call(ep.CREATE_MODEL_VERSION, {"name": name, "source": source})["model_version"]["version"])


def move_to_stage(hook: ModelRegistryHook, name: str, version: str, stage: str, archive: bool = False) -> None:
    """Databricks `transition-stage`: change the stage without a request."""
    params = {"name": name, "version": version, "stage": stage, "archive_existing_versions": archive}
    hook.call(ep.TRANSITION_STAGE_DATABRICKS, params)
