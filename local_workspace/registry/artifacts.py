"""Files of a model version, for `model-versions/list-artifacts` and signed downloads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from local_workspace.errors import invalid_parameter, not_found
from local_workspace.registry import mlflow_store


@dataclass(frozen=True)
class FileInfo:
    path: str
    is_dir: bool
    file_size: int | None

    def to_dict(self) -> dict:
        d = {"path": self.path, "is_dir": self.is_dir}
        if not self.is_dir:
            d["file_size"] = self.file_size
        return d


def _resolve(artifacts_dir: Path, name: str, version: str, path: str) -> tuple[Path, Path]:
    root = mlflow_store.version_artifact_dir(artifacts_dir, name, version).resolve()
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts) or path.startswith("/"):
        raise invalid_parameter(f"Invalid artifact path {path!r}: must be relative, without '..'.")
    return root, root.joinpath(*parts)


def list_files(artifacts_dir: Path, name: str, version: str, path: str) -> list[FileInfo]:
    """Like Databricks: a directory lists its children; a file lists itself; a missing path lists nothing."""
    root, target = _resolve(artifacts_dir, name, version, path)
    if target.is_file():
        return [FileInfo(path, False, target.stat().st_size)]
    if not target.is_dir():
        return []
    return [
        FileInfo(child.relative_to(root).as_posix(), child.is_dir(), None if child.is_dir() else child.stat().st_size)
        for child in sorted(target.iterdir())
        if not child.name.startswith(".upload-")
    ]


def require_file(artifacts_dir: Path, name: str, version: str, path: str) -> Path:
    _, target = _resolve(artifacts_dir, name, version, path)
    if not target.is_file():
        raise not_found(f"Artifact {path!r} of model '{name}' version {version} does not exist.")
    return target
