"""Set up Unity Catalog state for tests and benches through the REST API (`hook.call`): creating schemas, models
and versions is what the notebooks do (through MLflow), never the hook."""

from __future__ import annotations

import os
from dataclasses import dataclass

from databricks_registry.unity_catalog.hook import UnityCatalogModelsHook

UC = "2.0/mlflow/unity-catalog"


@dataclass
class UcModel:
    """A fresh model `main.<unique schema>.<name>`; `add_version` registers (and by default finalizes) versions."""

    hook: UnityCatalogModelsHook
    full_name: str

    @classmethod
    def create(cls, hook: UnityCatalogModelsHook, name: str = "churn_model") -> UcModel:
        schema = f"t{os.getpid()}_{os.urandom(3).hex()}"
        hook.call(("POST", "2.1/unity-catalog/schemas"), {"name": schema, "catalog_name": "main"})
        full_name = f"main.{schema}.{name}"
        hook.call(("POST", f"{UC}/registered-models/create"), {"name": full_name})
        return cls(hook, full_name)

    def add_version(self, tags: dict[str, str] | None = None, ready: bool = True) -> int:
        body = {"name": self.full_name, "source": "dbfs:/tests/dummy", "run_id": os.urandom(4).hex()}
        if tags:
            body["tags"] = [{"key": k, "value": v} for k, v in tags.items()]  # type: ignore[assignment]
        version = int(self.hook.call(("POST", f"{UC}/model-versions/create"), body)["model_version"]["version"])
        if ready:
            self.hook.call(("POST", f"{UC}/model-versions/finalize"), {"name": self.full_name, "version": str(version)})
        return version
