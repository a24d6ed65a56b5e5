"""Fixtures for the registry component tests: a counting/fault-injecting proxy in front of the shared workspace."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fault_proxy import CountingProxy, connection_json


@pytest.fixture(scope="session")
def registry_proxy(workspace):
    proxy = CountingProxy(workspace.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture()
def proxied(registry_proxy, databricks_env, monkeypatch):
    """`databricks_default` points at the proxy (which forwards to the workspace); counters and faults reset."""
    registry_proxy.reset()
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_DEFAULT", connection_json(registry_proxy, databricks_env.token))
    return registry_proxy


@pytest.fixture()
def registered(databricks_env, model_name):
    """Create `model_name` with N dummy versions: `registered(3)` -> list of version strings."""
    from registry_setup import create_model, create_version

    from databricks_registry.hooks import ModelRegistryHook

    hook = ModelRegistryHook()
    created: list[str] = []

    def make(n: int = 1, name: str | None = None) -> list[str]:
        target = name or model_name
        if target not in _existing:
            create_model(hook, target)
            _existing.add(target)
        versions = [create_version(hook, target, f"dbfs:/models/dummy-{os.urandom(3).hex()}") for _ in range(n)]
        created.extend(versions)
        return versions

    _existing: set[str] = set()
    return make
