"""HTTP handlers of the Files API subset MLflow's Databricks artifact repositories call."""

from __future__ import annotations

from email.utils import formatdate

from flask import Response, jsonify, request, send_file

from local_workspace.artifact_store import local_path_for_files_api
from local_workspace.context import current_config
from local_workspace.errors import DatabricksApiError, invalid_parameter
from local_workspace.files import models
from local_workspace.limits import MAX_FILES_NAME_BYTES, MAX_FILES_PATH_CHARS, MAX_UPLOAD_BYTES


def _local(path: str, directory: bool = False):
    if len(path) > MAX_FILES_PATH_CHARS:
        raise invalid_parameter(f"The path is {len(path)} characters long; the limit is {MAX_FILES_PATH_CHARS}.")
    if "\0" in path:
        raise invalid_parameter("The path must not contain NUL characters.")
    # A directory path may end with one `/`; any other empty segment (`files//x`, `a//b`) is a malformed path.
    segments = (path[:-1] if directory and path.endswith("/") else path).split("/")
    if "" in segments:
        raise invalid_parameter(f"Invalid path '/{path}': a path must not contain empty segments ('//').")
    for segment in segments:
        if len(segment.encode()) > MAX_FILES_NAME_BYTES:
            raise invalid_parameter(
                f"A path segment is {len(segment.encode())} bytes long; the limit is {MAX_FILES_NAME_BYTES}."
            )
    return local_path_for_files_api(current_config().artifacts_dir, path)


def _overwrite() -> bool:
    value = request.args.get("overwrite", "true").lower()
    if value not in ("true", "false"):
        raise invalid_parameter(f"overwrite must be true or false, got {value[:20]!r}.")
    return value == "true"


def _file_headers(target) -> dict[str, str]:
    stat = target.stat()
    return {
        "Content-Length": str(stat.st_size),
        "Content-Type": "application/octet-stream",
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
    }


def upload_file(path: str):
    target, overwrite = _local(path), _overwrite()
    models.write_file(target, request.stream, overwrite, MAX_UPLOAD_BYTES)
    return Response(status=204)


def download_file(path: str):
    target = models.require_file(_local(path))
    if request.method == "HEAD":
        return Response(status=200, headers=_file_headers(target))
    return send_file(target, mimetype="application/octet-stream", conditional=False)


def delete_file(path: str):
    models.require_file(_local(path)).unlink()
    return Response(status=204)


def directory(path: str):
    target = _local(path, directory=True)
    if request.method == "PUT":
        try:
            target.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise DatabricksApiError("RESOURCE_ALREADY_EXISTS", "A file already exists at this path.", 409) from None
        return Response(status=204)
    entries = models.list_directory(target, "/" + path.lstrip("/"))
    if request.method == "HEAD":
        return Response(status=200)
    return jsonify({"contents": [e.to_dict() for e in entries]})
