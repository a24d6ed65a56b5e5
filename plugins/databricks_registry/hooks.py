"""`ModelRegistryHook`: the Databricks Workspace Model Registry (stages, transition requests, comments).

The surface is what the operators, the sensor and the trigger use, plus what a person filing requests needs:
request / list / approve / reject / cancel transition requests, comment, read a version or a model, tag a version.
The trigger's reads also exist async (`a_get_registered_model`, ...); each sync/async pair builds its request
through one `_Op`, so the two cannot drift apart. Results are typed (`entities.py`), errors are typed (`errors.py`).
Any other registry endpoint is one `call(endpoint, params)` away. Connection handling, auth and retries come from
the provider's hook (`transport.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from databricks_registry import endpoints as ep
from databricks_registry.entities import (
    Activity,
    Comment,
    ModelVersion,
    RegisteredModel,
    TransitionRequest,
    normalize_model_name,
    normalize_stage,
    normalize_version,
)
from databricks_registry.errors import RegistryResponseError
from databricks_registry.transport import Endpoint, RegistryTransportMixin

H = TypeVar("H", bound=RegistryTransportMixin)


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


def _version_params(name: str, version: str | int, **more: Any) -> dict[str, Any]:
    """`name`, `version` (validated) and the optional fields that are set (`stage` is validated too)."""
    params = {"name": normalize_model_name(name), "version": normalize_version(version)}
    if "stage" in more:
        more["stage"] = normalize_stage(more["stage"])
    return {**params, **{k: v for k, v in more.items() if v is not None}}


def _required_bool(archive_existing_versions: Any) -> bool:
    if not isinstance(archive_existing_versions, bool):
        raise ValueError("archive_existing_versions must be True or False (Databricks requires it)")
    return archive_existing_versions


def _get_registered_model(name: str) -> _Op:
    return _Op(
        ep.GET_REGISTERED_MODEL_DATABRICKS,
        {"name": normalize_model_name(name)},
        _field("registered_model_databricks", RegisteredModel.from_dict),
    )


def _list_transition_requests(name: str, version: str | int) -> _Op:
    return _Op(
        ep.LIST_TRANSITION_REQUESTS,
        _version_params(name, version),
        lambda b: [Activity.from_dict(a) for a in b.get("requests") or ()],
    )


def _get_model_version(name: str, version: str | int) -> _Op:
    return _Op(ep.GET_MODEL_VERSION, _version_params(name, version), _field("model_version", ModelVersion.from_dict))


def _decide(endpoint: Endpoint, name: str, version: str | int, stage: str, comment: str | None, **more: Any) -> _Op:
    """Approve, reject or cancel a request: each answers the resulting activity."""
    params = _version_params(name, version, stage=stage, comment=comment, **more)
    return _Op(endpoint, params, _field("activity", Activity.from_dict))


class RegistryOpsHook(RegistryTransportMixin):
    """What every registry hook shares: the constructor, the workspace's UI URL, and running an `_Op` (sync/async).

    :param databricks_conn_id: the Databricks connection (host, PAT / OAuth service principal / Azure ...).
    :param timeout_seconds, retry_limit, retry_delay, retry_args: as the provider's `DatabricksHook`.
    :param caller: the name the provider's logs give the hook (default: the hook class's name).
    """

    def __init__(
        self,
        databricks_conn_id: str = RegistryTransportMixin.default_conn_name,
        timeout_seconds: int = 60,
        retry_limit: int = 3,
        retry_delay: float = 1.0,
        retry_args: dict[Any, Any] | None = None,
        caller: str | None = None,
    ) -> None:
        caller = caller or type(self).__name__
        super().__init__(databricks_conn_id, timeout_seconds, retry_limit, retry_delay, retry_args, caller)

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

    def _run(self, op: _Op) -> Any:
        return op.parse(self.call(op.endpoint, op.params))

    async def _a_run(self, op: _Op) -> Any:
        return op.parse(await self.a_call(op.endpoint, op.params))


class ModelRegistryHook(RegistryOpsHook):
    """Talk to the Workspace Model Registry through a `databricks` Airflow connection (arguments: `RegistryOpsHook`)."""

    hook_name = "Databricks Model Registry"

    # ---- reads (sync and async: the trigger polls with them) ---------------------------------------------------
    def get_registered_model(self, name: str) -> RegisteredModel:
        """databricks/registered-models/get; returns RegisteredModel (latest_versions per stage)."""
        return self._run(_get_registered_model(name))

    async def a_get_registered_model(self, name: str) -> RegisteredModel:
        return await self._a_run(_get_registered_model(name))

    def list_transition_requests(self, name: str, version: str | int) -> list[Activity]:
        """Open transition requests of one version; returns list[Activity]."""
        return self._run(_list_transition_requests(name, version))

    async def a_list_transition_requests(self, name: str, version: str | int) -> list[Activity]:
        return await self._a_run(_list_transition_requests(name, version))

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        """Get one model version (stage, tags...); returns ModelVersion."""
        return self._run(_get_model_version(name, version))

    async def a_get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return await self._a_run(_get_model_version(name, version))

    # ---- writes (sync: operators run them) ----------------------------------------------------------------------
    def create_transition_request(
        self, name: str, version: str | int, stage: str, comment: str | None = None
    ) -> TransitionRequest:
        """Create a transition request; returns TransitionRequest."""
        params = _version_params(name, version, stage=stage, comment=comment)
        return self._run(_Op(ep.CREATE_TRANSITION_REQUEST, params, _field("request", TransitionRequest.from_dict)))

    def approve_transition_request(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool, comment: str | None = None
    ) -> Activity:
        """Approve a request (archive_existing_versions required); returns Activity."""
        archive = _required_bool(archive_existing_versions)
        return self._run(
            _decide(ep.APPROVE_TRANSITION_REQUEST, name, version, stage, comment, archive_existing_versions=archive)
        )

    def reject_transition_request(
        self, name: str, version: str | int, stage: str, comment: str | None = None
    ) -> Activity:
        """Reject a request; returns Activity."""
        return self._run(_decide(ep.REJECT_TRANSITION_REQUEST, name, version, stage, comment))

    def cancel_transition_request(
        self, name: str, version: str | int, stage: str, creator: str, comment: str | None = None
    ) -> Activity:
        """Cancel (the REST API says delete) the request `creator` made; returns Activity."""
        if not isinstance(creator, str) or not creator:
            raise ValueError("creator (the user who created the request) is required to cancel it")
        return self._run(_decide(ep.DELETE_TRANSITION_REQUEST, name, version, stage, comment, creator=creator))

    def create_comment(self, name: str, version: str | int, comment: str) -> Comment:
        """Comment on a model version; returns Comment."""
        if not isinstance(comment, str) or not comment.strip():
            raise ValueError("comment must be a non-empty string")
        params = _version_params(name, version, comment=comment)
        return self._run(_Op(ep.CREATE_COMMENT, params, _field("comment", Comment.from_dict)))

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: str) -> None:
        """Set a tag on a model version (idempotent: retried like a read)."""
        return self._run(
            _Op(ep.SET_MODEL_VERSION_TAG, _version_params(name, version, key=str(key), value=str(value)), _nothing)
        )


class HookSettings:
    """The settings an operator, sensor or trigger builds its hook from (see `build_hook`)."""

    databricks_conn_id: str
    retry_limit: int
    databricks_retry_delay: float
    retry_args: dict[Any, Any] | None = None


class RegistryHookMixin(HookSettings):
    """One `ModelRegistryHook` per operator, sensor or trigger instance (as the provider's operators cache theirs),
    built from the instance's connection id and HTTP retry settings on first use."""

    @cached_property
    def hook(self) -> ModelRegistryHook:
        return build_hook(ModelRegistryHook, self)


def build_hook(hook_class: type[H], owner: HookSettings) -> H:
    """A `hook_class` with `owner`'s connection id and HTTP retry settings, named after the owner in the logs."""
    return hook_class(
        owner.databricks_conn_id,
        retry_limit=owner.retry_limit,
        retry_delay=owner.databricks_retry_delay,
        retry_args=owner.retry_args,
        caller=type(owner).__name__,
    )
