"""Browser pages of Unity Catalog models at Catalog Explorer's URL shapes (`/explore/data/models/<catalog>/
<schema>/<model>[/version/<v>]`), so a link built for a real workspace opens here too: versions with their status,
aliases, tags and description (where the promotion flow writes its trail)."""

from __future__ import annotations

from local_workspace.context import current_config
from local_workspace.errors import DatabricksApiError
from local_workspace.pages.render import page
from local_workspace.pages.responses import browser_page
from local_workspace.unity_catalog import model_versions, registered_models
from local_workspace.unity_catalog.names import model_name

MODELS_PER_PAGE = 200
EXPLORE = "/explore/data/models"  # also in page_templates


def _missing(viewer: str, error: DatabricksApiError):
    if error.status not in (400, 404):
        raise error
    return page("not_found.html", 404, viewer=viewer, message=error.message)


@browser_page
def models_page(viewer: str):
    models, token = registered_models.list_page(current_config().db_path, None, None, MODELS_PER_PAGE, None)
    return page("uc_models.html", viewer=viewer, models=models, more=token is not None)


@browser_page
def model_page(viewer: str, catalog: str, schema: str, model: str):
    db = current_config().db_path
    try:
        name = model_name(f"{catalog}.{schema}.{model}")
        found = registered_models.get(db, name)
        versions, more = model_versions.list_page(db, [name], None, MODELS_PER_PAGE, 0)
    except DatabricksApiError as error:
        return _missing(viewer, error)
    return page("uc_model.html", viewer=viewer, model=found, versions=versions, more=more is not None)


@browser_page
def model_version_page(viewer: str, catalog: str, schema: str, model: str, version: int):
    db = current_config().db_path
    try:
        name = model_name(f"{catalog}.{schema}.{model}")
        found, mv = registered_models.get(db, name), model_versions.get(db, name, version)
    except DatabricksApiError as error:
        return _missing(viewer, error)
    return page("uc_model_version.html", viewer=viewer, model=found, version=mv)
