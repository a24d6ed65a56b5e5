"""`UnityCatalogModelsHook`: Unity Catalog models (aliases, version tags, descriptions) through a `databricks`
Airflow connection.

The same transport as `ModelRegistryHook` (`RegistryTransportMixin`: the provider's auth, one retry rule, typed
errors), the endpoints MLflow's `databricks-uc` client calls (`unity_catalog/endpoints.py`). Names are checked
client side (`catalog.schema.model`, positive versions, aliases) before anything is sent. Reads a trigger needs also
exist async (`a_...`); each sync/async pair builds its request through one `_Op`, so the two cannot drift apart.

Every write is safe to repeat, so one whose answer was lost (5xx, reset, timeout) is retried: pointing an alias or
setting a tag again leaves the same state, and a delete that answers 404 when repeated ("already gone") returns
False instead of failing, once a read confirms the model or version itself exists.
"""

from __future__ import annotations

from collections.abc import Generator
from functools import cached_property
from typing import Any

from databricks_registry.errors import RegistryResourceNotFound
from databricks_registry.hooks import HookSettings, RegistryOpsHook, _field, _nothing, _Op, build_hook
from databricks_registry.unity_catalog import endpoints as ep
from databricks_registry.unity_catalog.entities import (
    UcModelVersion,
    UcRegisteredModel,
    UcVersionPage,
    normalize_alias,
    normalize_full_name,
    normalize_tag_key,
    normalize_uc_version,
)

# Versions per search page: MLflow's own page size for a model's versions; a model with fewer versions costs one call.
SEARCH_PAGE_SIZE = 1000


def _version_params(full_name: str, version: Any, **more: Any) -> dict[str, Any]:
    return {"name": normalize_full_name(full_name), "version": str(normalize_uc_version(version)), **more}


def _get_registered_model(full_name: str) -> _Op:
    params = {"name": normalize_full_name(full_name)}
    return _Op(ep.GET_REGISTERED_MODEL, params, _field("registered_model", UcRegisteredModel.from_api))


def _get_model_version(full_name: str, version: Any) -> _Op:
    params = _version_params(full_name, version)
    return _Op(ep.GET_MODEL_VERSION, params, _field("model_version", UcModelVersion.from_api))


def _get_version_by_alias(full_name: str, alias: str) -> _Op:
    params = {"name": normalize_full_name(full_name), "alias": normalize_alias(alias)}
    return _Op(ep.GET_VERSION_BY_ALIAS, params, _field("model_version", UcModelVersion.from_api))


def _page(body: dict[str, Any]) -> UcVersionPage:
    versions = (UcModelVersion.from_api(v, from_search=True) for v in body.get("model_versions") or ())
    return UcVersionPage(tuple(versions), body.get("next_page_token") or None)


def _search_page(full_name: str, page_token: str | None, page_size: int) -> _Op:
    if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
        raise ValueError(f"page_size must be a positive integer, got {page_size!r}")
    # UC search takes one condition; a checked name has no quote to escape.
    params = {"filter": f"name='{normalize_full_name(full_name)}'", "max_results": page_size, "page_token": page_token}
    return _Op(ep.SEARCH_MODEL_VERSIONS, params, _page)


def _search_steps(full_name: str, page_size: int) -> Generator[_Op, UcVersionPage, list[UcModelVersion]]:
    """Every page of a model's versions, free of I/O: yields each page's request, is sent its page.

    A version registered while paging may shift the pages (a version listed twice): each is kept once."""
    found: dict[int, UcModelVersion] = {}
    token: str | None = None
    while True:
        page = yield _search_page(full_name, token, page_size)
        found.update((v.version, v) for v in page.model_versions)
        token = page.next_page_token
        if not token or not page.model_versions:
            return sorted(found.values(), key=lambda v: v.newest_first_key)


class UnityCatalogModelsHook(RegistryOpsHook):
    """Read and label Unity Catalog model versions through a `databricks` Airflow connection (arguments as
    `ModelRegistryHook`: connection id, timeout, retry_limit, retry_delay, retry_args)."""

    hook_name = "Databricks Unity Catalog models"

    # ---- reads (sync and async: the triggers poll with them) ---------------------------------------------------
    def get_registered_model(self, full_name: str) -> UcRegisteredModel:
        """The model, with its owner and aliases (alias -> version)."""
        return self._run(_get_registered_model(full_name))

    async def a_get_registered_model(self, full_name: str) -> UcRegisteredModel:
        return await self._a_run(_get_registered_model(full_name))

    def get_model_version(self, full_name: str, version: int | str) -> UcModelVersion:
        """One version with its tags and aliases."""
        return self._run(_get_model_version(full_name, version))

    async def a_get_model_version(self, full_name: str, version: int | str) -> UcModelVersion:
        return await self._a_run(_get_model_version(full_name, version))

    def get_version_by_alias(self, full_name: str, alias: str) -> UcModelVersion:
        """The version `alias` points to (with tags and aliases); RegistryResourceNotFound if the alias is unset."""
        return self._run(_get_version_by_alias(full_name, alias))

    async def a_get_version_by_alias(self, full_name: str, alias: str) -> UcModelVersion:
        return await self._a_run(_get_version_by_alias(full_name, alias))

    def search_model_versions_page(
        self, full_name: str, page_token: str | None = None, page_size: int = SEARCH_PAGE_SIZE
    ) -> UcVersionPage:
        """One page of the model's versions (no tags, no aliases: UC search returns neither)."""
        return self._run(_search_page(full_name, page_token, page_size))

    async def a_search_model_versions_page(
        self, full_name: str, page_token: str | None = None, page_size: int = SEARCH_PAGE_SIZE
    ) -> UcVersionPage:
        return await self._a_run(_search_page(full_name, page_token, page_size))

    def search_model_versions(self, full_name: str, page_size: int = SEARCH_PAGE_SIZE) -> list[UcModelVersion]:
        """Every version of the model, newest first (by creation time, then number), WITHOUT tags or aliases
        (`tags_known` False: read a version with `get_model_version` for those). Costs one call per page."""
        steps = _search_steps(full_name, page_size)
        op = next(steps)
        while True:
            try:
                op = steps.send(self._run(op))
            except StopIteration as done:
                return done.value

    async def a_search_model_versions(self, full_name: str, page_size: int = SEARCH_PAGE_SIZE) -> list[UcModelVersion]:
        steps = _search_steps(full_name, page_size)
        op = next(steps)
        while True:
            try:
                op = steps.send(await self._a_run(op))
            except StopIteration as done:
                return done.value

    # ---- writes (sync: operators run them; each is safe to repeat) ---------------------------------------------
    def set_alias(self, full_name: str, alias: str, version: int | str) -> None:
        """Point `alias` at `version` (moving it from any other version). Needs ownership or MANAGE on the model."""
        params = _version_params(full_name, version, alias=normalize_alias(alias))
        self._run(_Op(ep.SET_ALIAS, params, _nothing))

    def delete_alias(self, full_name: str, alias: str) -> bool:
        """Remove `alias`; True if this call removed it, False if it was already unset (e.g. a retried delete)."""
        params = {"name": normalize_full_name(full_name), "alias": normalize_alias(alias)}
        try:
            self._run(_Op(ep.DELETE_ALIAS, params, _nothing))
        except RegistryResourceNotFound:
            if alias in self.get_registered_model(full_name).aliases:  # raises if the model itself is missing
                raise
            return False
        return True

    def set_version_tag(self, full_name: str, version: int | str, key: str, value: str) -> None:
        """Set tag `key` = `value` on a version (replacing any value it had)."""
        if not isinstance(value, str):
            raise ValueError(f"Tag {key!r}: value must be a string, got {type(value).__name__}")
        params = _version_params(full_name, version, key=normalize_tag_key(key), value=value)
        self._run(_Op(ep.SET_MODEL_VERSION_TAG, params, _nothing))

    def delete_version_tag(self, full_name: str, version: int | str, key: str) -> bool:
        """Remove tag `key` from a version; True if this call removed it, False if it was not set."""
        params = _version_params(full_name, version, key=normalize_tag_key(key))
        try:
            self._run(_Op(ep.DELETE_MODEL_VERSION_TAG, params, _nothing))
        except RegistryResourceNotFound:
            if key in self.get_model_version(full_name, version).tags:  # raises if the version itself is missing
                raise
            return False
        return True

    def update_version_description(self, full_name: str, version: int | str, description: str) -> UcModelVersion:
        """Replace the version's description (Markdown, shown in Catalog Explorer); returns the updated version.

        Answers that omit the version (some servers answer `{}`) are completed with one `get`.
        """
        if not isinstance(description, str):
            raise ValueError(f"description must be a string, got {type(description).__name__}")
        params = _version_params(full_name, version, description=description)
        body = self.call(ep.UPDATE_MODEL_VERSION, params)
        if isinstance(body.get("model_version"), dict):
            return UcModelVersion.from_api(body["model_version"])
        return self.get_model_version(full_name, version)


class UnityCatalogHookMixin(HookSettings):
    """One `UnityCatalogModelsHook` per operator, sensor or trigger instance (`uc_hook`), built from the instance's
    connection id and HTTP retry settings on first use."""

    @cached_property
    def uc_hook(self) -> UnityCatalogModelsHook:
        return build_hook(UnityCatalogModelsHook, self)
