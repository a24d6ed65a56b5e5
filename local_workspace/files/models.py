"""File storage behind the Files API: plain files below `<data dir>/artifacts`, written atomically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from local_workspace.errors import DatabricksApiError


@dataclass(frozen=True)
class DirectoryEntry:
    path: str
    name: str
    is_directory: bool
    file_size: int | None
    last_modified: int

    def to_dict(self) -> dict:
        entry = {
            "path": self.path,
            "name": self.name,
            "is_directory": self.is_directory,
            "last_modified": self.last_modified,
        }
        if not self.is_directory:
            entry["file_size"] = self.file_size
        return entry


def write_file(target: Path, stream: IO[bytes], overwrite: bool, max_bytes: int) -> None:
    """Stream to a temporary file and rename; above `max_bytes` nothing is kept and the answer is 413."""
    if target.is_dir():
        raise DatabricksApiError("RESOURCE_ALREADY_EXISTS", "A directory already exists at this path.", 409)
    if target.exists() and not overwrite:
        raise DatabricksApiError("ALREADY_EXISTS", "The file being created already exists.", 409)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise DatabricksApiError(
            "RESOURCE_ALREADY_EXISTS", "A file exists where a parent directory should be.", 409
        ) from None
    # Write to a temporary file and rename: readers never see a half-written artifact.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        written = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(1024 * 1024):
                written += len(chunk)
                if written > max_bytes:
                    raise DatabricksApiError(
                        "REQUEST_LIMIT_EXCEEDED", f"The file is larger than the upload limit of {max_bytes} bytes.", 413
                    )
                out.write(chunk)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def require_file(target: Path) -> Path:
    if not target.is_file():
        raise DatabricksApiError("NOT_FOUND", "The file does not exist.", 404)
    return target


def list_directory(target: Path, api_path: str) -> list[DirectoryEntry]:
    if not target.is_dir():
        raise DatabricksApiError("NOT_FOUND", "The directory does not exist.", 404)
    entries = []
    for child in sorted(target.iterdir()):
        if child.name.startswith(".upload-"):
            continue
        stat = child.stat()
        entries.append(
            DirectoryEntry(
                path=f"{api_path.rstrip('/')}/{child.name}",
                name=child.name,
                is_directory=child.is_dir(),
                file_size=None if child.is_dir() else stat.st_size,
                last_modified=int(stat.st_mtime * 1000),
            )
        )
    return entries
