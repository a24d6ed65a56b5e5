"""Where artifacts live: Databricks-style `dbfs:/databricks/mlflow-tracking/...` URIs mapped to the data dir.

On Databricks, experiments store artifacts under `dbfs:/databricks/mlflow-tracking/<experiment>/...` and the
MLflow client with tracking URI `databricks` uploads them through the Files API (`/api/2.0/fs/files/
WorkspaceInternal/Mlflow/Artifacts/...`). The workspace uses the same artifact root, so unmodified clients
take their Databricks code path, and keeps the files in `<data dir>/artifacts`. (An `mlflow-artifacts:/` root
would not work: the MLflow client refuses it when the tracking URI is `databricks`.)
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from local_workspace.errors import DatabricksApiError, invalid_parameter

ARTIFACT_ROOT_URI = "dbfs:/databricks/mlflow-tracking"
FILES_ROOT = "/WorkspaceInternal/Mlflow/Artifacts"


def _safe_join(root: Path, relative: str) -> Path:
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise invalid_parameter(f"Path must not contain '..': {relative!r}")
    return root.joinpath(*parts) if parts else root


def local_path_for_uri(artifacts_dir: Path, uri: str) -> Path:
    """`dbfs:/databricks/mlflow-tracking/<rest>` -> `<artifacts_dir>/<rest>`."""
    prefixes = (ARTIFACT_ROOT_URI, "dbfs:///databricks/mlflow-tracking")
    for prefix in prefixes:
        if uri == prefix or uri.startswith(prefix + "/"):
            return _safe_join(artifacts_dir, uri[len(prefix) :])
    raise DatabricksApiError("INVALID_PARAMETER_VALUE", f"Artifact URI {uri!r} is not stored in this workspace.")


def local_path_for_files_api(artifacts_dir: Path, path: str) -> Path:
    """Files API path -> local file, mirroring MLflow's Databricks SDK artifact repositories:

    `/WorkspaceInternal/Mlflow/Artifacts/<exp>/Runs/<run>/<rest>`          -> `<exp>/<run>/<rest>`
    `/WorkspaceInternal/Mlflow/Artifacts/<exp>/LoggedModels/<model>/<rest>` -> `<exp>/logged_models/<model>/<rest>`
    """
    normalized = posixpath.normpath("/" + path.lstrip("/"))
    if not (normalized + "/").startswith(FILES_ROOT + "/"):
        raise DatabricksApiError("PERMISSION_DENIED", f"Path {path!r} is outside the workspace's artifact storage.")
    parts = [p for p in normalized[len(FILES_ROOT) :].split("/") if p]
    if len(parts) >= 2 and parts[1] == "Runs":
        parts = [parts[0], *parts[2:]]
    elif len(parts) >= 2 and parts[1] == "LoggedModels":
        parts = [parts[0], "logged_models", *parts[2:]]
    return _safe_join(artifacts_dir, "/".join(parts))


def install_server_artifact_repository(artifacts_dir: Path) -> None:
    """Make MLflow's server-side handlers (UI artifact browser, get-artifact) read `dbfs:` URIs from disk.

    Only this server process is affected; clients keep their own Databricks repositories.
    """
    from mlflow.store.artifact.artifact_repository_registry import _artifact_repository_registry
    from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

    class WorkspaceDbfsArtifactRepository(LocalArtifactRepository):
        def __init__(self, artifact_uri: str, tracking_uri: str | None = None, registry_uri: str | None = None):
            local = local_path_for_uri(artifacts_dir, artifact_uri.rstrip("/"))
            super().__init__(local.as_uri(), tracking_uri=tracking_uri, registry_uri=registry_uri)

    _artifact_repository_registry.register("dbfs", WorkspaceDbfsArtifactRepository)
