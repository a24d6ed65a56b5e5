"""Routing of the Files API subset."""

from __future__ import annotations

from flask import Blueprint

from local_workspace.files import responses

blueprint = Blueprint("local_workspace_files", __name__)

FILES = "/api/2.0/fs/files/<path:path>"
DIRECTORIES = "/api/2.0/fs/directories/<path:path>"

blueprint.add_url_rule(FILES, "upload_file", responses.upload_file, methods=["PUT"])
blueprint.add_url_rule(FILES, "download_file", responses.download_file, methods=["GET", "HEAD"])
blueprint.add_url_rule(FILES, "delete_file", responses.delete_file, methods=["DELETE"])
blueprint.add_url_rule(DIRECTORIES, "directory", responses.directory, methods=["GET", "HEAD", "PUT"])
