"""Databricks-shaped API errors: `{"error_code": ..., "message": ...}` with the matching HTTP status."""

from __future__ import annotations

# error_code -> HTTP status, as the Databricks REST API answers them.
STATUS_BY_CODE = {
    "INVALID_PARAMETER_VALUE": 400,
    "MALFORMED_REQUEST": 400,
    "INVALID_STATE": 400,
    "BAD_REQUEST": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "NOT_FOUND": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "RESOURCE_ALREADY_EXISTS": 409,
    "RESOURCE_CONFLICT": 409,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "INTERNAL_ERROR": 500,
    "TEMPORARILY_UNAVAILABLE": 503,
}


class DatabricksApiError(Exception):
    """Raised by handlers; the app turns it into a Databricks error response."""

    def __init__(self, error_code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(error_code, 400)

    def to_dict(self) -> dict:
        return {"error_code": self.error_code, "message": self.message}


def invalid_parameter(message: str) -> DatabricksApiError:
    return DatabricksApiError("INVALID_PARAMETER_VALUE", message)


def not_found(message: str) -> DatabricksApiError:
    return DatabricksApiError("RESOURCE_DOES_NOT_EXIST", message)
