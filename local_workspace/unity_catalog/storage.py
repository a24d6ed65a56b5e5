"""Where Unity Catalog model files live (the workspace's own `DEFAULT_STORAGE`), and their presigned URLs.

Clients address a version's files by Files-API path, `/Models/<catalog>/<schema>/<model>/<version>/<file>`, as
MLflow's `PresignedUrlArtifactRepository` does; they are kept in `<data dir>/unity-catalog/models/...`, apart
from the workspace registry's artifacts. Files can be written only while the version is `PENDING_REGISTRATION`
and only through a presigned upload URL; reading goes through a presigned download URL or a directory listing.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from local_workspace import signing
from local_workspace.errors import invalid_parameter
from local_workspace.unity_catalog.names import ModelName, identifier, model_name, version_number

FILES_ROOT = "/Models"


def model_files_path(full_name: str) -> str:
    return f"{FILES_ROOT}/{full_name.replace('.', '/')}"


def version_files_path(full_name: str, version: int) -> str:
    return f"{model_files_path(full_name)}/{version}"


@dataclass(frozen=True)
class ModelFile:
    """A Files-API path below one model version: `relative` is "" for the version's own directory."""

    name: ModelName
    version: int
    relative: str

    @property
    def api_path(self) -> str:
        base = version_files_path(self.name.full_name, self.version)
        return f"{base}/{self.relative}" if self.relative else base

    def local_path(self, data_dir: Path) -> Path:
        return version_dir(data_dir, self.name, self.version).joinpath(
            *self.relative.split("/") if self.relative else ()
        )


def parse_files_path(path: str) -> ModelFile:
    """`/Models/c/s/m/3/a/b.pkl` -> its model, version and relative path; `..`, `.` and `//` are refused."""
    normalized = "/" + path.lstrip("/")
    if not normalized.startswith(FILES_ROOT + "/"):
        raise invalid_parameter(f"Path {path[:200]!r} is not below {FILES_ROOT}.")
    parts = normalized[len(FILES_ROOT) + 1 :].rstrip("/").split("/")
    if len(parts) < 4 or any(p in ("", ".", "..") for p in parts):
        raise invalid_parameter(
            f"Invalid path {path[:200]!r}: expected {FILES_ROOT}/<catalog>/<schema>/<model>/<version>/..."
        )
    for part in parts[:3]:
        identifier(part, "name part")
    name = model_name(".".join(parts[:3]), "path")
    return ModelFile(name, version_number(parts[3], "version"), "/".join(parts[4:]))


def version_dir(data_dir: Path, name: ModelName, version: int) -> Path:
    return data_dir / "unity-catalog" / "models" / name.catalog / name.schema / name.model / str(version)


def remove_version_files(data_dir: Path, name: ModelName, version: int | None = None) -> None:
    target = version_dir(data_dir, name, version) if version is not None else version_dir(data_dir, name, 0).parent
    shutil.rmtree(target, ignore_errors=True)


def presigned_url(base_url: str, key: bytes, method: str, file: ModelFile) -> str:
    query = signing.sign_uc_file(key, method, file.api_path)
    return f"{base_url.rstrip('/')}{signing.UC_FILE_URL_PATH}?{urlencode(query)}"
