"""Unity Catalog fixtures: a fresh model in its own schema on the session workspace (real HTTP)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from uc_setup import UcModel


@pytest.fixture()
def uc_model(databricks_env) -> UcModel:
    """`main.<unique schema>.churn_model`, created through the workspace's `databricks_default` connection."""
    from databricks_registry.unity_catalog.hook import UnityCatalogModelsHook

    return UcModel.create(UnityCatalogModelsHook())
