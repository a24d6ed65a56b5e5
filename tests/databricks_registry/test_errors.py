"""Databricks JSON errors become typed exceptions carrying status, error code and endpoint."""

from __future__ import annotations

import pytest
from airflow.providers.databricks.exceptions import DatabricksApiError

from databricks_registry import errors


@pytest.mark.parametrize(
    "status, code, expected",
    [
        (400, "INVALID_PARAMETER_VALUE", errors.RegistryInvalidParameter),
        (401, "UNAUTHENTICATED", errors.RegistryUnauthenticated),
        (403, "PERMISSION_DENIED", errors.RegistryPermissionDenied),
        (404, "RESOURCE_DOES_NOT_EXIST", errors.RegistryResourceNotFound),
        (409, "RESOURCE_ALREADY_EXISTS", errors.RegistryResourceConflict),
        (429, "REQUEST_LIMIT_EXCEEDED", errors.RegistryUnavailable),
        (503, "TEMPORARILY_UNAVAILABLE", errors.RegistryUnavailable),
        (403, None, errors.RegistryPermissionDenied),  # a gateway's non-JSON answer: the status decides
        (502, None, errors.RegistryUnavailable),
    ],
)
def test_error_class_follows_code_then_status(status, code, expected):
    body = f'{{"error_code": "{code}", "message": "boom"}}' if code else "<html>Bad gateway</html>"
    error = errors.error_from_response(status, body, "GET 2.0/mlflow/x")
    assert type(error) is expected and isinstance(error, DatabricksApiError)
    assert (error.http_status_code, error.error_code, error.endpoint) == (status, code, "GET 2.0/mlflow/x")
    assert ("boom" if code else "Bad gateway") in str(error) and str(status) in str(error)
