"""Fault injection for `test_registry_crash.py`, loaded by the server's interpreter via PYTHONPATH (never by users).

When REGISTRY_FAULT_POINT is set, MLflow's SQL registry store stops inside the stage change of one model version
(REGISTRY_FAULT_MODEL / REGISTRY_FAULT_VERSION): `before_mlflow_commit` stops before MLflow's transaction,
`after_mlflow_commit` right after it committed. It then writes REGISTRY_FAULT_MARKER and blocks for good, so the
test can SIGKILL the server at exactly that point. `error_after_mlflow_commit` raises right after MLflow committed
(an error that reaches the caller although the change was applied). The server code has no test hook: this patches MLflow itself.
"""

import importlib.abc
import importlib.util
import os
import sys
import threading
from pathlib import Path


def _stop_here() -> None:
    Path(os.environ["REGISTRY_FAULT_MARKER"]).write_text(f"{os.getpid()}\n")
    threading.Event().wait()  # until SIGKILL


def _patch(store_class, point: str) -> None:
    original = store_class.transition_model_version_stage
    target = (os.environ["REGISTRY_FAULT_MODEL"], os.environ["REGISTRY_FAULT_VERSION"])

    def transition_model_version_stage(self, name, version, stage, archive_existing_versions):
        hit = (name, str(version)) == target
        if hit and point == "before_mlflow_commit":
            _stop_here()
        result = original(self, name, version, stage, archive_existing_versions)
        if hit and point == "after_mlflow_commit":
            _stop_here()
        if hit and point == "error_after_mlflow_commit":
            raise RuntimeError("injected fault: error after MLflow committed the stage change")
        return result

    store_class.transition_model_version_stage = transition_model_version_stage


class _PatchWhenImported(importlib.abc.MetaPathFinder):
    """Patch MLflow's store when the server imports it: importing mlflow here, at interpreter start, would delay
    uvicorn's worker health-check answer past its 5 s limit on a loaded machine."""

    MODULE = "mlflow.store.model_registry.sqlalchemy_store"

    def __init__(self, point: str):
        self.point = point

    def find_spec(self, fullname, path, target=None):
        if fullname != self.MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            _patch(module.SqlAlchemyStore, self.point)

        spec.loader.exec_module = exec_module
        return spec


if os.environ.get("REGISTRY_FAULT_POINT"):
    sys.meta_path.insert(0, _PatchWhenImported(os.environ["REGISTRY_FAULT_POINT"]))
