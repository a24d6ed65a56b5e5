"""Per-request context for Flask handlers of the Databricks-only services."""

from __future__ import annotations

from local_workspace.auth import current_user
from local_workspace.config import WorkspaceConfig

__all__ = ["current_config", "current_user", "require_user"]


def current_config() -> WorkspaceConfig:
    """The workspace config of the serving app (falls back to the environment outside a request)."""
    from flask import current_app, has_app_context

    if has_app_context() and "LOCAL_WORKSPACE_CONFIG" in current_app.config:
        return current_app.config["LOCAL_WORKSPACE_CONFIG"]
    return WorkspaceConfig.from_env()


def require_user() -> str:
    from local_workspace.errors import DatabricksApiError

    user = current_user()
    if not user:
        raise DatabricksApiError("UNAUTHENTICATED", "No authenticated user for this request.")
    return user
