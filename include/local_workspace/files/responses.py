"""HTTP handlers of the Files API subset MLflow's Databricks artifact repositories call."""

from __future__ import annotations

from email.utils import formatdate

from flask import Response, jsonify, request, send_file

from local_workspace.artifact_store import local_path_for_files_api
from local_workspace.context import current_config
from local_workspace.errors import invalid_parameter
from local_workspace.files import models


def _local(path: str, directory: bool = False):
    # A directory path may end with one `/`; any other empty segment (`files//x`, `a//b`) is a malformed path.
    segments = (path[:-1] if directory and path.endswith("/") else path).split("/")
    if "" in segments:
        raise invalid_parameter(f"Invalid path '/{path}': a path must not contain empty segments ('//').")
    return local_path_for_files_api(current_config().artifacts_dir, path)


def _file_headers(target) -> dict[str, str]:
    stat = target.stat()
    return {"Content-Length": str(stat.st_size), "Content-Type": "application/octet-stream",
            "Last-Modified": formatdate(stat.st_mtime, usegmt=True)}


def upload_file(path: str):
    overwrite = request.args.get("overwrite", "true").lower() == "true"
    models.write_file(_local(path), request.stream, overwrite)
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
        target.mkdir(parents=True, exist_ok=True)
        return Response(status=204)
    entries = models.list_directory(target, "/" + path.lstrip("/"))
    if request.method == "HEAD":
        return Response(status=200)
    return jsonify({"contents": [e.to_dict() for e in entries]})
