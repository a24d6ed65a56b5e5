"""Which registry a DAG run works with, and which model: one answer for every task of the run.

The `registry` param (workspace | uc; its default comes from env `CHURN_REGISTRY`, else workspace) chooses between
the Workspace Model Registry (stages, transition requests) and Unity Catalog (aliases, tags). An Asset-triggered
promotion run follows the event that started it (its `registry` and `model_name`), whatever the params say.
A null `model_name` means the mode's default model (`churn_contract.unity_catalog.default_model_name`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from airflow.sdk import Param

from churn_contract.options import DEFAULT_MODEL_NAME
from churn_contract.unity_catalog import (
    DEFAULT_REGISTRY_MODE,
    DEFAULT_UC_MODEL_NAME,
    REGISTRY_MODE_ENV,
    REGISTRY_MODES,
    RegistryMode,
    default_model_name,
    is_three_level_name,
    parse_registry_mode,
    registry_of_name,
)


def default_registry() -> RegistryMode:
    """The `registry` param's default: env `CHURN_REGISTRY` (read when the DAG files are parsed), else workspace."""
    raw = os.environ.get(REGISTRY_MODE_ENV, "").strip()
    return parse_registry_mode(raw, f"env {REGISTRY_MODE_ENV}") if raw else DEFAULT_REGISTRY_MODE


def registry_param() -> Param:
    return Param(
        default_registry(),
        enum=list(REGISTRY_MODES),
        description=(
            "Model registry: workspace = Workspace Model Registry (stages, transition requests), uc = Unity Catalog "
            f"(aliases challenger and champion, tags). Default from env {REGISTRY_MODE_ENV}"
        ),
    )


def model_name_param(description: str) -> Param:
    # Nullable (not ""), so the trigger form accepts the empty field: empty = the registry's default model.
    return Param(
        None,
        type=["null", "string"],
        minLength=1,
        description=(
            f"{description}. Empty: {DEFAULT_MODEL_NAME} in the workspace registry, {DEFAULT_UC_MODEL_NAME} in "
            "Unity Catalog (catalog.schema.model)"
        ),
    )


@dataclass(frozen=True)
class RunTarget:
    registry: RegistryMode
    model_name: str


def run_target(params: Any, triggering_asset_events: Any = None) -> RunTarget:
    """The registry and model of this run: those of the newest triggering asset event, else the params'."""
    newest: tuple[Any, dict] | None = None
    for events in (triggering_asset_events or {}).values():
        for event in events:
            extra = getattr(event, "extra", None) or {}
            stamp = getattr(event, "timestamp", None)
            if extra.get("model_name") and (newest is None or (stamp and newest[0] and stamp > newest[0])):
                newest = (stamp, extra)
    if newest is not None:
        extra = newest[1]
        name = str(extra["model_name"])
        registry = parse_registry_mode(extra.get("registry") or registry_of_name(name), "asset event registry")
        return RunTarget(registry, name)
    registry = parse_registry_mode(params.get("registry") or default_registry(), "param registry")
    name = str(params.get("model_name") or default_model_name(registry))
    if registry == "uc" and not is_three_level_name(name):
        raise ValueError(
            f"param model_name must be a Unity Catalog name catalog.schema.model when registry is uc, got {name!r}"
        )
    return RunTarget(registry, name)


def requested_model_name(params: Any, triggering_asset_events: Any = None) -> str:
    """Model to work on in this run (a DAG macro: `{{ requested_model_name(params, triggering_asset_events) }}`)."""
    return run_target(params, triggering_asset_events).model_name


def requested_registry(params: Any, triggering_asset_events: Any = None) -> str:
    """Registry of this run (a DAG macro: `{{ requested_registry(params, triggering_asset_events) }}`)."""
    return run_target(params, triggering_asset_events).registry


def context_target(context: Any) -> RunTarget:
    """`run_target` of a running task's context."""
    return run_target(context["params"], context.get("triggering_asset_events"))


MACROS = {"requested_model_name": requested_model_name, "requested_registry": requested_registry}
