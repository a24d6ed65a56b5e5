"""`ModelRegistryHook`: the Databricks Workspace Model Registry (stages, transition requests, comments).

Every operation exists sync (`approve_transition_request`) and async (`a_approve_transition_request`); both build
the same request through one `_op_*` function, so they cannot drift apart. Results are typed (`entities.py`),
errors are typed (`errors.py`). Connection handling, auth and retries come from the provider's hook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from databricks_registry import endpoints as ep
from databricks_registry.entities import (
    Activity,
    Comment,
    ModelVersion,
    ModelVersionPage,
    RegisteredModel,
    TransitionRequest,
    normalize_model_name,
    normalize_stage,
    normalize_version,
)
from databricks_registry.errors import RegistryResponseError
from databricks_registry.transport import Endpoint, RegistryTransportMixin


def name_filter(model_name: str) -> str:
    """`model-versions/search` filter for one model, safe for names with quotes.

    MLflow's filter grammar reads string literals verbatim between matching quotes (no escape sequences), so a name
    containing `'` is wrapped in double quotes; only a name with both quote kinds falls back to backslash-escaping.
    """
    name = normalize_model_name(model_name)
    if "'" not in name:
        return f"name='{name}'"
    if '"' not in name:
        return f'name="{name}"'
    return "name='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class _Op:
    endpoint: Endpoint
    params: dict[str, Any]
    parse: Callable[[dict[str, Any]], Any]


def _field(key: str, build: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    def parse(body: dict[str, Any]) -> Any:
        if not isinstance(body.get(key), dict):
            raise RegistryResponseError(f"Answer has no {key!r} object: {sorted(body)}")
        return build(body[key])

    return parse


def _nothing(_: dict[str, Any]) -> None:
    return None


class ModelRegistryHook(RegistryTransportMixin):
    """Talk to the Workspace Model Registry through a `databricks` Airflow connection.

    :param databricks_conn_id: the Databricks connection (host, PAT / OAuth service principal / Azure ...).
    :param timeout_seconds, retry_limit, retry_delay, retry_args: as the provider's `DatabricksHook`.
    """

    hook_name = "Databricks Model Registry"

    def __init__(
        self,
        databricks_conn_id: str = RegistryTransportMixin.default_conn_name,
        timeout_seconds: int = 60,
        retry_limit: int = 3,
        retry_delay: float = 1.0,
        retry_args: dict[Any, Any] | None = None,
        caller: str = "ModelRegistryHook",
    ) -> None:
        super().__init__(databricks_conn_id, timeout_seconds, retry_limit, retry_delay, retry_args, caller)

    # ---- links -------------------------------------------------------------------------------------------------
    def workspace_url(self) -> str:
        """Base URL for links a person opens: the connection's `workspace_ui_url` extra when set, else the API's.

        The extra is for when Airflow reaches the workspace by a name a browser cannot (a container network's
        `local-workspace:8799`, a private endpoint); on a real workspace the API host is the UI host.
        """
        ui_url = self.databricks_conn.extra_dejson.get("workspace_ui_url")
        if ui_url is None:
            return self._endpoint_url("").rstrip("/")
        if not isinstance(ui_url, str) or not ui_url.startswith(("http://", "https://")):
            raise ValueError(
                f"connection {self.databricks_conn_id!r}: extra workspace_ui_url must be an http(s) URL, got {ui_url!r}"
            )
        return ui_url.rstrip("/")

    # ---- operation builders (shared by the sync and async methods) ---------------------------------------------
    @staticmethod
    def _op_create_transition_request(name, version, stage, comment=None) -> _Op:
        params = {
            "name": normalize_model_name(name),
            "version": normalize_version(version),
            "stage": normalize_stage(stage),
        }
        if comment is not None:
            params["comment"] = comment
        return _Op(ep.CREATE_TRANSITION_REQUEST, params, _field("request", TransitionRequest.from_dict))

    @staticmethod
    def _op_list_transition_requests(name, version) -> _Op:
        params = {"name": normalize_model_name(name), "version": normalize_version(version)}
        return _Op(
            ep.LIST_TRANSITION_REQUESTS, params, lambda b: [Activity.from_dict(a) for a in b.get("requests") or ()]
        )

    @staticmethod
    def _op_decide(endpoint, name, version, stage, comment, extra=None) -> _Op:
        params = {
            "name": normalize_model_name(name),
            "version": normalize_version(version),
            "stage": normalize_stage(stage),
            **(extra or {}),
        }
        if comment is not None:
            params["comment"] = comment
        return _Op(endpoint, params, _field("activity", Activity.from_dict))

    @classmethod
    def _op_approve_transition_request(cls, name, version, stage, archive_existing_versions, comment=None) -> _Op:
        if not isinstance(archive_existing_versions, bool):
            raise ValueError("archive_existing_versions must be True or False (Databricks requires it)")
        return cls._op_decide(
            ep.APPROVE_TRANSITION_REQUEST,
            name,
            version,
            stage,
            comment,
            {"archive_existing_versions": archive_existing_versions},
        )

    @classmethod
    def _op_reject_transition_request(cls, name, version, stage, comment=None) -> _Op:
        return cls._op_decide(ep.REJECT_TRANSITION_REQUEST, name, version, stage, comment)

    @classmethod
    def _op_cancel_transition_request(cls, name, version, stage, creator, comment=None) -> _Op:
        if not isinstance(creator, str) or not creator:
            raise ValueError("creator (the user who created the request) is required to cancel it")
        return cls._op_decide(ep.DELETE_TRANSITION_REQUEST, name, version, stage, comment, {"creator": creator})

    @staticmethod
    def _op_create_comment(name, version, comment) -> _Op:
        if not isinstance(comment, str) or not comment.strip():
            raise ValueError("comment must be a non-empty string")
        params = {"name": normalize_model_name(name), "version": normalize_version(version), "comment": comment}
        return _Op(ep.CREATE_COMMENT, params, _field("comment", Comment.from_dict))

    @staticmethod
    def _op_update_comment(comment_id, comment) -> _Op:
        if not comment_id or not isinstance(comment, str) or not comment.strip():
            raise ValueError("update_comment needs a comment id and a non-empty comment")
        return _Op(ep.UPDATE_COMMENT, {"id": str(comment_id), "comment": comment}, _field("comment", Comment.from_dict))

    @staticmethod
    def _op_delete_comment(comment_id) -> _Op:
        if not comment_id:
            raise ValueError("delete_comment needs a comment id")
        return _Op(ep.DELETE_COMMENT, {"id": str(comment_id)}, _nothing)

    @staticmethod
    def _op_get_model_version(name, version) -> _Op:
        params = {"name": normalize_model_name(name), "version": normalize_version(version)}
        return _Op(ep.GET_MODEL_VERSION, params, _field("model_version", ModelVersion.from_dict))

    @staticmethod
    def _op_search_model_versions(model_name=None, filter=None, max_results=None, order_by=None, page_token=None):
        if model_name is not None and filter is not None:
            raise ValueError("Pass either model_name or filter, not both")
        params: dict[str, Any] = {
            "filter": name_filter(model_name) if model_name is not None else filter,
            "max_results": max_results,
            "order_by": list(order_by or []) or None,
            "page_token": page_token,
        }
        params = {k: v for k, v in params.items() if v is not None}
        return _Op(
            ep.SEARCH_MODEL_VERSIONS,
            params,
            lambda b: ModelVersionPage(
                tuple(ModelVersion.from_dict(v) for v in b.get("model_versions") or ()),
                b.get("next_page_token") or None,
            ),
        )

    @staticmethod
    def _op_transition_stage(name, version, stage, archive_existing_versions, comment=None) -> _Op:
        if not isinstance(archive_existing_versions, bool):
            raise ValueError("archive_existing_versions must be True or False (Databricks requires it)")
        params = {
            "name": normalize_model_name(name),
            "version": normalize_version(version),
            "stage": normalize_stage(stage),
            "archive_existing_versions": archive_existing_versions,
        }
        if comment is not None:
            params["comment"] = comment
        return _Op(ep.TRANSITION_STAGE_DATABRICKS, params, _field("model_version_databricks", ModelVersion.from_dict))

    @staticmethod
    def _op_get_registered_model(name) -> _Op:
        return _Op(
            ep.GET_REGISTERED_MODEL_DATABRICKS,
            {"name": normalize_model_name(name)},
            _field("registered_model_databricks", RegisteredModel.from_dict),
        )

    @staticmethod
    def _op_set_model_version_tag(name, version, key, value) -> _Op:
        params = {
            "name": normalize_model_name(name),
            "version": normalize_version(version),
            "key": str(key),
            "value": str(value),
        }
        return _Op(ep.SET_MODEL_VERSION_TAG, params, _nothing)

    @staticmethod
    def _op_create_registered_model(name, description=None) -> _Op:
        params = {"name": normalize_model_name(name)}
        if description is not None:
            params["description"] = description
        return _Op(ep.CREATE_REGISTERED_MODEL, params, _nothing)

    @staticmethod
    def _op_create_model_version(name, source, run_id=None, description=None) -> _Op:
        params = {"name": normalize_model_name(name), "source": source, "run_id": run_id, "description": description}
        return _Op(
            ep.CREATE_MODEL_VERSION,
            {k: v for k, v in params.items() if v is not None},
            _field("model_version", ModelVersion.from_dict),
        )

    def _run(self, op: _Op) -> Any:
        return op.parse(self.call(op.endpoint, op.params))

    async def _a_run(self, op: _Op) -> Any:
        return op.parse(await self.a_call(op.endpoint, op.params))

    # ---- public API: every operation sync and async -------------------------------------------------------------
    def create_transition_request(
        self, name: str, version: str | int, stage: str, comment: str | None = None
    ) -> TransitionRequest:
        """Create a transition request; returns TransitionRequest."""
        return self._run(self._op_create_transition_request(name, version, stage, comment))

    async def a_create_transition_request(
        self, name: str, version: str | int, stage: str, comment: str | None = None
    ) -> TransitionRequest:
        return await self._a_run(self._op_create_transition_request(name, version, stage, comment))

    def list_transition_requests(self, name: str, version: str | int) -> list[Activity]:
        """Open transition requests of one version; returns list[Activity]."""
        return self._run(self._op_list_transition_requests(name, version))

    async def a_list_transition_requests(self, name: str, version: str | int) -> list[Activity]:
        return await self._a_run(self._op_list_transition_requests(name, version))

    def approve_transition_request(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool, comment: str | None = None
    ) -> Activity:
        """Approve a request (archive_existing_versions required); returns Activity."""
        return self._run(self._op_approve_transition_request(name, version, stage, archive_existing_versions, comment))

    async def a_approve_transition_request(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool, comment: str | None = None
    ) -> Activity:
        return await self._a_run(
            self._op_approve_transition_request(name, version, stage, archive_existing_versions, comment)
        )

    def reject_transition_request(
        self, name: str, version: str | int, stage: str, comment: str | None = None
    ) -> Activity:
        """Reject a request; returns Activity."""
        return self._run(self._op_reject_transition_request(name, version, stage, comment))

    async def a_reject_transition_request(
        self, name: str, version: str | int, stage: str, comment: str | None = None
    ) -> Activity:
        return await self._a_run(self._op_reject_transition_request(name, version, stage, comment))

    def cancel_transition_request(
        self, name: str, version: str | int, stage: str, creator: str, comment: str | None = None
    ) -> Activity:
        """Cancel (delete) the request `creator` made; returns Activity."""
        return self._run(self._op_cancel_transition_request(name, version, stage, creator, comment))

    async def a_cancel_transition_request(
        self, name: str, version: str | int, stage: str, creator: str, comment: str | None = None
    ) -> Activity:
        return await self._a_run(self._op_cancel_transition_request(name, version, stage, creator, comment))

    # databricks-sdk and the REST path call cancelling "delete".
    delete_transition_request = cancel_transition_request
    a_delete_transition_request = a_cancel_transition_request

    def create_comment(self, name: str, version: str | int, comment: str) -> Comment:
        """Comment on a model version; returns Comment."""
        return self._run(self._op_create_comment(name, version, comment))

    async def a_create_comment(self, name: str, version: str | int, comment: str) -> Comment:
        return await self._a_run(self._op_create_comment(name, version, comment))

    def update_comment(self, comment_id: str, comment: str) -> Comment:
        """Edit a comment by id; returns Comment."""
        return self._run(self._op_update_comment(comment_id, comment))

    async def a_update_comment(self, comment_id: str, comment: str) -> Comment:
        return await self._a_run(self._op_update_comment(comment_id, comment))

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment by id."""
        return self._run(self._op_delete_comment(comment_id))

    async def a_delete_comment(self, comment_id: str) -> None:
        return await self._a_run(self._op_delete_comment(comment_id))

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        """Get one model version; returns ModelVersion."""
        return self._run(self._op_get_model_version(name, version))

    async def a_get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return await self._a_run(self._op_get_model_version(name, version))

    def search_model_versions(
        self,
        model_name: str | None = None,
        filter: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> ModelVersionPage:
        """One page of model-versions/search (model_name or filter); returns ModelVersionPage."""
        return self._run(self._op_search_model_versions(model_name, filter, max_results, order_by, page_token))

    async def a_search_model_versions(
        self,
        model_name: str | None = None,
        filter: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> ModelVersionPage:
        return await self._a_run(self._op_search_model_versions(model_name, filter, max_results, order_by, page_token))

    def transition_stage(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool, comment: str | None = None
    ) -> ModelVersion:
        """Databricks transition-stage (no request); returns ModelVersion."""
        return self._run(self._op_transition_stage(name, version, stage, archive_existing_versions, comment))

    async def a_transition_stage(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool, comment: str | None = None
    ) -> ModelVersion:
        return await self._a_run(self._op_transition_stage(name, version, stage, archive_existing_versions, comment))

    def get_registered_model(self, name: str) -> RegisteredModel:
        """databricks/registered-models/get; returns RegisteredModel (latest_versions per stage)."""
        return self._run(self._op_get_registered_model(name))

    async def a_get_registered_model(self, name: str) -> RegisteredModel:
        return await self._a_run(self._op_get_registered_model(name))

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: str) -> None:
        """Set a tag on a model version."""
        return self._run(self._op_set_model_version_tag(name, version, key, value))

    async def a_set_model_version_tag(self, name: str, version: str | int, key: str, value: str) -> None:
        return await self._a_run(self._op_set_model_version_tag(name, version, key, value))

    def create_registered_model(self, name: str, description: str | None = None) -> None:
        """Create a registered model."""
        return self._run(self._op_create_registered_model(name, description))

    async def a_create_registered_model(self, name: str, description: str | None = None) -> None:
        return await self._a_run(self._op_create_registered_model(name, description))

    def create_model_version(
        self, name: str, source: str, run_id: str | None = None, description: str | None = None
    ) -> ModelVersion:
        """Register a model version from a source URI; returns ModelVersion."""
        return self._run(self._op_create_model_version(name, source, run_id, description))

    async def a_create_model_version(
        self, name: str, source: str, run_id: str | None = None, description: str | None = None
    ) -> ModelVersion:
        return await self._a_run(self._op_create_model_version(name, source, run_id, description))
