"""Typed errors for Model Registry calls, built from Databricks JSON errors `{"error_code", "message"}`.

All subclass the provider's `DatabricksApiError` (an AirflowException) so generic handlers keep working, and carry
`http_status_code`, `error_code` and the endpoint that failed, so callers can branch on "not found" vs "forbidden".
"""

from __future__ import annotations

import json
from typing import Any

from airflow.providers.databricks.exceptions import DatabricksApiError


class RegistryError(DatabricksApiError):
    """A Model Registry call failed."""

    def __init__(
        self,
        message: str,
        *,
        http_status_code: int | None = None,
        error_code: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.error_code = error_code
        self.endpoint = endpoint
        self.message = message
        where = f" [{endpoint}]" if endpoint else ""
        code = f"{error_code}: " if error_code else ""
        status = f" (HTTP {http_status_code})" if http_status_code else ""
        super().__init__(f"{code}{message}{status}{where}", http_status_code=http_status_code)


class RegistryInvalidParameter(RegistryError):
    """400: the request was malformed or named an invalid value (e.g. an unknown stage)."""


class RegistryUnauthenticated(RegistryError):
    """401: the connection's credentials were refused."""


class RegistryPermissionDenied(RegistryError):
    """403: the caller may not perform this action (e.g. approve without transition permission)."""


class RegistryResourceNotFound(RegistryError):
    """404: the model, version, request or comment does not exist."""


class RegistryResourceConflict(RegistryError):
    """409: the resource already exists or is in a conflicting state."""


class RegistryUnavailable(RegistryError):
    """429 / 5xx / connection errors that persisted through every retry."""


class RegistryOutcomeUnknown(RegistryUnavailable):
    """A non-idempotent write may or may not have been applied (5xx, reset or timeout after it was sent).

    It is not retried blindly: the caller must look at what the registry holds before writing again.
    """


class RegistryResponseError(RegistryError):
    """The workspace answered 2xx with a body that is not the documented JSON."""


_BY_CODE: dict[str, type[RegistryError]] = {
    "INVALID_PARAMETER_VALUE": RegistryInvalidParameter,
    "MALFORMED_REQUEST": RegistryInvalidParameter,
    "INVALID_STATE": RegistryInvalidParameter,
    "BAD_REQUEST": RegistryInvalidParameter,
    "UNAUTHENTICATED": RegistryUnauthenticated,
    "PERMISSION_DENIED": RegistryPermissionDenied,
    "RESOURCE_DOES_NOT_EXIST": RegistryResourceNotFound,
    "NOT_FOUND": RegistryResourceNotFound,
    "ENDPOINT_NOT_FOUND": RegistryResourceNotFound,
    "RESOURCE_ALREADY_EXISTS": RegistryResourceConflict,
    "RESOURCE_CONFLICT": RegistryResourceConflict,
    "REQUEST_LIMIT_EXCEEDED": RegistryUnavailable,
    "TEMPORARILY_UNAVAILABLE": RegistryUnavailable,
}

_BY_STATUS: dict[int, type[RegistryError]] = {
    400: RegistryInvalidParameter,
    401: RegistryUnauthenticated,
    403: RegistryPermissionDenied,
    404: RegistryResourceNotFound,
    409: RegistryResourceConflict,
    429: RegistryUnavailable,
}


def error_from_response(status: int, body: str | bytes | None, endpoint: str) -> RegistryError:
    """Build the typed error for an HTTP error answer (body as received; may be non-JSON, e.g. from a proxy)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    error_code: str | None = None
    message = text.strip()[:500] or "no error message"
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        error_code = parsed.get("error_code") or None
        message = str(parsed.get("message") or message)
    cls = _BY_CODE.get(error_code or "") or _BY_STATUS.get(status)
    if cls is None:
        cls = RegistryUnavailable if status >= 500 else RegistryError
    return cls(message, http_status_code=status, error_code=error_code, endpoint=endpoint)
