"""Request parsing shared by the Unity Catalog handlers: parameters from the query string and a JSON body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import request

from local_workspace.context import current_config
from local_workspace.errors import DatabricksApiError, invalid_parameter
from local_workspace.limits import MAX_DESCRIPTION_CHARS, parse_int64

MAX_TAG_KEY_CHARS = 255
# Characters Unity Catalog refuses in tag keys, in the order its error message lists them.
RESERVED_TAG_KEY_CHARS = (".", ",", "-", "=", "/", ":")
MAX_TAG_VALUE_CHARS = 1000  # Unity Catalog's limit on a tag value
MAX_PAGE = 1000


def params() -> dict[str, Any]:
    """Query parameters, then the JSON body's fields (MLflow sends GET parameters in the query, the rest as JSON)."""
    values: dict[str, Any] = dict(request.args)
    if request.data:
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict):
            raise DatabricksApiError("MALFORMED_REQUEST", "The request body must be a JSON object.")
        values.update(body)
    return values


def db() -> Path:
    return current_config().db_path


def data_dir() -> Path:
    return current_config().data_dir


def text(values: dict[str, Any], field: str, *, required: bool = False, limit: int = 4096) -> str | None:
    value = values.get(field)
    if value is None or value == "":
        if required:
            raise invalid_parameter(f"Missing required field: {field}")
        return None if value is None else ""
    if not isinstance(value, str):
        raise invalid_parameter(f"Invalid {field}: expected a string.")
    if len(value) > limit:
        raise invalid_parameter(f"Field {field} is {len(value)} characters long; the limit is {limit}.")
    return value


def description(values: dict[str, Any], field: str) -> str | None:
    return text(values, field, limit=MAX_DESCRIPTION_CHARS)


def flag(values: dict[str, Any], field: str) -> bool:
    value = values.get(field, False)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise invalid_parameter(f"Invalid {field}: expected true or false.")
    return value


def page_size(values: dict[str, Any], default: int = 100) -> int:
    """As Unity Catalog pages: unset or 0 -> the default; above the server's page size -> that size."""
    value = values.get("max_results")
    if value in (None, "", 0, "0"):
        return min(default, MAX_PAGE)
    return min(parse_int64(value, "max_results", minimum=1), MAX_PAGE)


def tag_key(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise invalid_parameter("Missing required field: key")
    if len(value) > MAX_TAG_KEY_CHARS:
        raise invalid_parameter(f"Tag key is {len(value)} characters long; the limit is {MAX_TAG_KEY_CHARS}.")
    if any(c in value for c in RESERVED_TAG_KEY_CHARS):
        listed = ", ".join(RESERVED_TAG_KEY_CHARS)
        raise invalid_parameter(f"Tag name {value} contains one or more of the reserved characters: List({listed})")
    return value


def tag_value(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid_parameter("Invalid tag value: expected a string.")
    if len(value) > MAX_TAG_VALUE_CHARS:
        raise invalid_parameter(f"Tag value is {len(value)} characters long; the limit is {MAX_TAG_VALUE_CHARS}.")
    return value


def tags(values: dict[str, Any]) -> dict[str, str]:
    entries = values.get("tags") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise invalid_parameter("Invalid tags: expected a list of {key, value} objects.")
    return {tag_key(e.get("key")): tag_value(e.get("value")) for e in entries}
