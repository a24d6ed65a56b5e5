"""Handlers of the workspace pages: load a read-only view, render it (see `render`), 404 page when missing."""

from __future__ import annotations

from functools import wraps
from urllib.parse import quote

from flask import redirect, request

from local_workspace.context import current_config
from local_workspace.errors import DatabricksApiError
from local_workspace.pages import models
from local_workspace.pages.render import page

RUNNING_PAGE_REFRESH_SECONDS = 5
MODELS_PER_PAGE = 200


def browser_page(handler):
    """The viewer is the user the auth middleware authenticated (session cookie or token); without one, the
    browser goes to the login page and comes back here."""

    @wraps(handler)
    def wrapper(*args, **kwargs):
        from local_workspace.auth import current_user

        viewer = current_user()
        if not viewer:
            target = request.full_path if request.query_string else request.path
            return redirect("/login?next=" + quote(target), 302)
        return handler(viewer, *args, **kwargs)

    return wrapper


def _not_found(viewer: str, message: str):
    return page("not_found.html", 404, viewer=viewer, message=message)


@browser_page
def run_page(viewer: str, run_id: int):
    view = models.load_run(current_config(), run_id)
    if view is None:
        return _not_found(viewer, f"Run {run_id} does not exist.")
    refresh = None if view.run.is_terminal else RUNNING_PAGE_REFRESH_SECONDS
    return page("run.html", viewer=viewer, view=view, refresh=refresh, log_kb=models.PAGE_LOG_BYTES // 1024)


@browser_page
def runs_page(viewer: str):
    return page("runs.html", viewer=viewer, runs=models.recent_runs(current_config()))


@browser_page
def model_version_page(viewer: str, name: str, version: int):
    try:
        activity = models.load_version_activity(current_config().db_path, name, str(version))
    except DatabricksApiError as error:
        if error.status != 404:
            raise
        return _not_found(viewer, f"Version {version} of model '{name}' does not exist.")
    return page(
        "model_version.html",
        viewer=viewer,
        name=name,
        version=str(version),
        mv=activity.model_version,
        activity=activity,
    )


@browser_page
def model_page(viewer: str, name: str):
    try:
        registered, versions, open_counts = models.load_model_versions(current_config().db_path, name)
    except DatabricksApiError as error:
        if error.status != 404:
            raise
        return _not_found(viewer, f"Model '{name}' does not exist.")
    return page(
        "model.html", viewer=viewer, name=name, registered=registered, versions=versions, open_counts=open_counts
    )


@browser_page
def models_page(viewer: str):
    from local_workspace.registry import mlflow_store

    registered, token = mlflow_store.list_registered_models(MODELS_PER_PAGE, None)
    return page("models.html", viewer=viewer, models=registered, more=bool(token))
