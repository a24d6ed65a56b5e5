"""Routing of the Files API subset."""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import PathConverter

from local_workspace.files import responses


class FilesPathConverter(PathConverter):
    """Like `path`, but also matches a path starting with `/`, so the handler can reject `files//x` clearly."""

    regex = ".*?"
    part_isolating = False  # spans `/`s (werkzeug guesses True from a regex without a `/`)


blueprint = Blueprint("local_workspace_files", __name__)
# Registered before the rules below: the blueprint's deferred setup runs in this order.


def _register_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("files_path", FilesPathConverter)


blueprint.record_once(_register_converter)

FILES = "/api/2.0/fs/files/<files_path:path>"
DIRECTORIES = "/api/2.0/fs/directories/<files_path:path>"

# merge_slashes=False: werkzeug would answer `files//x` with an HTML 308 redirect (which PUT clients do not
# follow with their body); the handlers reject empty path segments with a JSON 400 instead.
blueprint.add_url_rule(FILES, "upload_file", responses.upload_file, methods=["PUT"], merge_slashes=False)
blueprint.add_url_rule(FILES, "download_file", responses.download_file, methods=["GET", "HEAD"], merge_slashes=False)
blueprint.add_url_rule(FILES, "delete_file", responses.delete_file, methods=["DELETE"], merge_slashes=False)
blueprint.add_url_rule(
    DIRECTORIES, "directory", responses.directory, methods=["GET", "HEAD", "PUT"], merge_slashes=False
)
