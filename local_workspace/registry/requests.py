"""The parameters of the Databricks-only registry endpoints as pydantic models (from the query string or a JSON
body); an invalid one is a 400 `INVALID_PARAMETER_VALUE` naming the field."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints

from local_workspace.errors import DatabricksApiError
from local_workspace.limits import MAX_COMMENT_CHARS, MAX_STRING_FIELD_CHARS, parse_int64
from local_workspace.validation import RequestModel, ShortText, int64, rejected


def _flag(value: Any) -> Any:
    # A query string says "true"/"false"; JSON says true/false.
    return value.lower() == "true" if isinstance(value, str) and value.lower() in ("true", "false") else value


def _version(value: Any) -> str:
    # Model versions are numbered from 1 and travel as text ("3"), as in MLflow's API; JSON clients send 3 too.
    try:
        return str(parse_int64(value, "version", minimum=1))
    except DatabricksApiError as exc:
        raise rejected(exc.message) from None


def _empty_as_absent(value: Any) -> Any:
    return None if value == "" else value


Flag = Annotated[bool, BeforeValidator(_flag)]
Version = Annotated[str, BeforeValidator(_version)]
Comment = Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS)] | None
OptionalText = Annotated[
    Annotated[str, StringConstraints(max_length=MAX_STRING_FIELD_CHARS)] | None, BeforeValidator(_empty_as_absent)
]


class ModelName(RequestModel):
    name: ShortText


class ModelVersionRef(ModelName):
    version: Version


class StageRequest(ModelVersionRef):
    """Create, reject (and list, without stage) a transition request."""

    stage: ShortText
    comment: Comment = None


class StageDecision(StageRequest):
    """Approve a request, or transition directly."""

    archive_existing_versions: Flag


class CancelRequest(StageRequest):
    creator: ShortText


class NewComment(ModelVersionRef):
    comment: Comment = None


class CommentRef(RequestModel):
    id: ShortText


class CommentEdit(CommentRef):
    comment: Comment = None


class ModelsPage(RequestModel):
    max_results: Annotated[int, int64(minimum=1, maximum=1000)] = 100
    page_token: OptionalText = None


class ArtifactFolder(ModelVersionRef):
    path: OptionalText = None  # the version's root


class ArtifactFile(ModelVersionRef):
    path: ShortText
