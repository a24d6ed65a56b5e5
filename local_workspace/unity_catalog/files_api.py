"""Model files in the workspace's DEFAULT_STORAGE: the Files-API calls MLflow's `PresignedUrlArtifactRepository`
makes (`create-upload-url`, `create-download-url`, directory listing below `/Models`) and the presigned URLs."""

from __future__ import annotations

from flask import Response, jsonify, request, send_file

from local_workspace import signing
from local_workspace.context import current_config, require_user
from local_workspace.errors import DatabricksApiError
from local_workspace.files import models as files
from local_workspace.limits import MAX_UPLOAD_BYTES
from local_workspace.unity_catalog import model_versions, storage
from local_workspace.unity_catalog.http import data_dir, db, params, text
from local_workspace.unity_catalog.models import PENDING_REGISTRATION
from local_workspace.unity_catalog.names import not_found


def _file(path: str | None) -> storage.ModelFile:
    file = storage.parse_files_path(path or "")
    if not file.relative:
        raise DatabricksApiError("INVALID_PARAMETER_VALUE", "The path names a model version, not a file in it.")
    return file


def _require_pending(file: storage.ModelFile) -> None:
    status = model_versions.status(db(), file.name, file.version)
    if status != PENDING_REGISTRATION:
        raise DatabricksApiError(
            "PERMISSION_DENIED",
            f"Model version {file.version} of '{file.name.full_name}' is {status}: its files can no longer change.",
            403,
        )


def _presigned(method: str, file: storage.ModelFile):
    config = current_config()
    url = storage.presigned_url(request.host_url, signing.load_key(config.data_dir), method, file)
    return jsonify({"url": url, "headers": []})


def create_upload_url():
    require_user()
    file = _file(text(params(), "path", required=True))
    _require_pending(file)
    return _presigned("PUT", file)


def create_download_url():
    require_user()
    file = _file(text(params(), "path", required=True))
    model_versions.get(db(), file.name, file.version)
    if not file.local_path(data_dir()).is_file():
        raise not_found("FILE_DOES_NOT_EXIST", f"The file '{file.api_path}' does not exist.")
    return _presigned("GET", file)


def list_directory(rest: str):
    require_user()
    file = storage.parse_files_path("/Models/" + rest)
    model_versions.get(db(), file.name, file.version)
    entries = files.list_directory(file.local_path(data_dir()), file.api_path)
    return jsonify({"contents": [entry.to_dict() for entry in entries]})


def presigned_file():
    """The presigned URL itself: the auth middleware already checked the signature; checked again here."""
    config = current_config()
    if not signing.verify_uc_file(signing.load_key(config.data_dir), request.method, dict(request.args)):
        raise DatabricksApiError("PERMISSION_DENIED", "The presigned URL's signature is invalid or has expired.", 403)
    file = _file(request.args.get("path"))
    target = file.local_path(config.data_dir)
    if request.method == "PUT":
        _require_pending(file)
        files.write_file(target, request.stream, overwrite=True, max_bytes=MAX_UPLOAD_BYTES)
        return Response(status=200)
    return send_file(files.require_file(target), mimetype="application/octet-stream", conditional=False)
