"""Access to MLflow's own model registry store: the same store (and database) MLflow's handlers use.

Stages live only there; this module never keeps a second copy of them.
"""

from __future__ import annotations

from pathlib import Path

from local_workspace.artifact_store import local_path_for_uri
from local_workspace.errors import DatabricksApiError

STAGES = ("None", "Staging", "Production", "Archived")
ACTIVE_STAGES = ("Staging", "Production")


def _store():
    from mlflow.server.handlers import _get_model_registry_store

    return _get_model_registry_store()


def as_api_error(exc: Exception) -> DatabricksApiError:
    """MLflow's exception -> the same Databricks error code and status."""
    from mlflow.exceptions import MlflowException

    if isinstance(exc, MlflowException):
        return DatabricksApiError(exc.error_code, exc.message, exc.get_http_status_code())
    return DatabricksApiError("INTERNAL_ERROR", str(exc))


def canonical_stage(stage) -> str:
    """Databricks stage spelling (`None`, `Staging`, `Production`, `Archived`); case-insensitive input."""
    if not isinstance(stage, str) or not stage:
        raise DatabricksApiError(
            "INVALID_PARAMETER_VALUE", f"Missing or invalid stage {stage!r}. Valid stages: {', '.join(STAGES)}."
        )
    for valid in STAGES:
        if stage.lower() == valid.lower():
            return valid
    raise DatabricksApiError("INVALID_PARAMETER_VALUE", f"Invalid stage {stage!r}. Valid stages: {', '.join(STAGES)}.")


def get_model_version(name: str, version: str):
    try:
        return _store().get_model_version(name=name, version=version)
    except Exception as exc:
        raise as_api_error(exc) from exc


def get_registered_model(name: str):
    try:
        return _store().get_registered_model(name=name)
    except Exception as exc:
        raise as_api_error(exc) from exc


def versions_in_stage(name: str, stage: str, *, excluding: str) -> list[str]:
    """All versions of `name` currently in `stage` (what `archive_existing_versions` would archive)."""
    from mlflow.store.model_registry.dbmodels.models import SqlModelVersion

    store = _store()
    with store.ManagedSessionMaker() as session:
        rows = (
            session.query(SqlModelVersion.version)
            .filter(
                SqlModelVersion.name == name,
                SqlModelVersion.current_stage == stage,
                SqlModelVersion.version != int(excluding),
            )
            .all()
        )
    return sorted(str(r[0]) for r in rows)


def version_artifact_dir(artifacts_dir: Path, name: str, version: str) -> Path:
    try:
        uri = _store().get_model_version_download_uri(name=name, version=version)
    except Exception as exc:
        raise as_api_error(exc) from exc
    return local_path_for_uri(artifacts_dir, uri)


def model_version_json(model_version) -> dict:
    """MLflow's own JSON for a model version (the REST shape of `model-versions/get`)."""
    import json

    from mlflow.utils.proto_json_utils import message_to_json

    return json.loads(message_to_json(model_version.to_proto()))


def registered_model_json(registered_model) -> dict:
    import json

    from mlflow.utils.proto_json_utils import message_to_json

    return json.loads(message_to_json(registered_model.to_proto()))


def list_registered_models(max_results: int, page_token: str | None) -> tuple[list[dict], str | None]:
    """Databricks' `registered-models/list` (removed from open-source MLflow), served from the same store."""
    try:
        page = _store().search_registered_models(
            filter_string=None, max_results=max_results, order_by=None, page_token=page_token
        )
    except Exception as exc:
        raise as_api_error(exc) from exc
    token = page.token.decode() if isinstance(page.token, bytes) else page.token
    return [registered_model_json(m) for m in page], token
