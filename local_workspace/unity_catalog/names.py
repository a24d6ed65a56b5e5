"""Unity Catalog names: `catalog.schema.model`, lower-case identifiers, integer versions, alias names.

Unity Catalog stores object names in lower case and compares them case-insensitively, so names are lowered
here once; everything else sees only canonical names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from local_workspace.errors import DatabricksApiError, invalid_parameter
from local_workspace.limits import parse_int64

MAX_IDENTIFIER_CHARS = 255
# What this emulation accepts without backquotes: letters, digits, `_` and `-` (no `.`, `/`, spaces or
# control characters, which Databricks refuses in model names; `-` is common in existing catalog names).
_IDENTIFIER = re.compile(r"[a-z0-9_][a-z0-9_-]*")
# MLflow's alias rule, which Databricks applies too: an identifier that cannot be mistaken for a version.
_ALIAS = re.compile(r"[a-z_][a-z0-9_]*")
_RESERVED_ALIASES = frozenset({"latest"})


@dataclass(frozen=True)
class ModelName:
    catalog: str
    schema: str
    model: str

    @property
    def full_name(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.model}"

    @property
    def schema_full_name(self) -> str:
        return f"{self.catalog}.{self.schema}"


def identifier(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise invalid_parameter(f"Missing required field: {what}")
    lowered = value.lower()
    if len(lowered) > MAX_IDENTIFIER_CHARS or not _IDENTIFIER.fullmatch(lowered):
        raise invalid_parameter(
            f"Invalid {what} {_preview(value)}: use letters, digits, '_' and '-' "
            f"(at most {MAX_IDENTIFIER_CHARS} characters, no '.', '/', spaces or control characters)."
        )
    return lowered


def model_name(value: Any, field: str = "name") -> ModelName:
    """`catalog.schema.model` (case-insensitive) -> its canonical parts; anything else is a 400."""
    if not isinstance(value, str) or not value:
        raise invalid_parameter(f"Missing required field: {field}")
    parts = value.split(".")
    if len(parts) != 3:
        # MLflow's client recognises "specify all three levels" and adds a hint about the workspace registry.
        raise invalid_parameter(
            f"Invalid {field} {_preview(value)}: please specify all three levels of the model name in the "
            "format <catalog>.<schema>.<model>."
        )
    catalog, schema, model = (
        identifier(part, what) for part, what in zip(parts, ("catalog", "schema", "model"), strict=True)
    )
    return ModelName(catalog, schema, model)


def schema_name(value: Any, field: str = "full_name") -> tuple[str, str]:
    if not isinstance(value, str) or value.count(".") != 1:
        raise invalid_parameter(f"Invalid {field} {_preview(value)}: expected <catalog>.<schema>.")
    catalog, schema = value.split(".")
    return identifier(catalog, "catalog name"), identifier(schema, "schema name")


def version_number(value: Any, field: str = "version") -> int:
    return parse_int64(value, field, minimum=1)


def alias_name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise invalid_parameter("Missing required field: alias")
    if len(value) > MAX_IDENTIFIER_CHARS or not _ALIAS.fullmatch(value) or value in _RESERVED_ALIASES:
        raise invalid_parameter(
            f"Invalid alias {_preview(value)}: an alias is a lower-case identifier (letters, digits, '_'; "
            "not starting with a digit), not 'latest' and not a version reference like 'v3'."
        )
    if re.fullmatch(r"v\d+", value):
        raise invalid_parameter(f"Invalid alias {_preview(value)}: it reads like a version reference.")
    return value


def not_found(reason: str, message: str) -> DatabricksApiError:
    return UcError("NOT_FOUND", message, reason)


def already_exists(reason: str, message: str) -> DatabricksApiError:
    return UcError("RESOURCE_ALREADY_EXISTS", message, reason)


class UcError(DatabricksApiError):
    """A Unity Catalog error: Databricks adds an ErrorInfo detail naming the reason (CATALOG_DOES_NOT_EXIST)."""

    def __init__(self, error_code: str, message: str, reason: str, status: int | None = None):
        super().__init__(error_code, message, status)
        self.reason = reason

    def to_dict(self) -> dict:
        detail = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": self.reason,
            "domain": "unity-catalog.databricks.com",
        }
        return {**super().to_dict(), "details": [detail]}


def _preview(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "...'"
