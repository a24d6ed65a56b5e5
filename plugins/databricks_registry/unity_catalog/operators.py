"""Small Unity Catalog model operators: set / delete an alias, set several version tags, delete a version tag.

Each looks first and writes only what differs, so a retry (or a re-run) after a lost answer changes nothing more;
each returns a JSON-able summary for XCom and pushes a Catalog Explorer link to the version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from airflow.providers.common.compat.sdk import BaseOperatorLink

from databricks_registry.errors import RegistryResourceNotFound
from databricks_registry.links import MODEL_VERSION_URL_KEY, ModelVersionLink
from databricks_registry.operators.base import DatabricksCallsOperator
from databricks_registry.unity_catalog.decision_plan import VersionState
from databricks_registry.unity_catalog.entities import (
    UcModelVersion,
    normalize_alias,
    normalize_full_name,
    normalize_uc_version,
)
from databricks_registry.unity_catalog.hook import UnityCatalogHookMixin, UnityCatalogModelsHook


def version_number(version: Any) -> str:
    """The version as the plan compares it: "3"."""
    return str(normalize_uc_version(version))


def catalog_explorer_url(workspace_url: str, full_name: str, version: str | int) -> str:
    """`{host}/explore/data/models/{catalog}/{schema}/{model}/version/{v}`: the version in Catalog Explorer."""
    path = "/".join(quote(part, safe="") for part in full_name.split("."))
    return f"{workspace_url.rstrip('/')}/explore/data/models/{path}/version/{quote(str(version))}"


def state_of(found: UcModelVersion) -> VersionState:
    return VersionState(str(found.version), dict(found.tags), tuple(found.aliases), found.description or "")


def version_state(hook: UnityCatalogModelsHook, full_name: str, version: str) -> VersionState:
    """A version's tags, aliases and description, as the decision plan reads them."""
    return state_of(hook.get_model_version(full_name, version))


def alias_holder(hook: UnityCatalogModelsHook, full_name: str, alias: str) -> VersionState | None:
    """The version `alias` points at, or None when the alias is not set."""
    try:
        return state_of(hook.get_version_by_alias(full_name, alias))
    except RegistryResourceNotFound:
        return None


class UnityCatalogOperator(UnityCatalogHookMixin, DatabricksCallsOperator):
    """Base of the UC model operators (connection and HTTP retry settings: `DatabricksCallsOperator`)."""

    operator_extra_links: tuple[BaseOperatorLink, ...] = (ModelVersionLink(),)

    def push_version_link(self, context: Any, full_name: str, version: str) -> str:
        url = catalog_explorer_url(self.uc_hook.workspace_url(), full_name, version)
        context["ti"].xcom_push(key=MODEL_VERSION_URL_KEY, value=url)
        return url


class SetModelAliasOperator(UnityCatalogOperator):
    """Point `alias` at `version` of a UC model (PUT alias), unless it already does.

    Returns `{model_name, alias, version, previous_version, changed}` (`previous_version`: where the alias pointed
    before, None if it was not set).
    """

    template_fields: Sequence[str] = ("model_name", "alias", "version")

    def __init__(self, *, model_name: str, alias: str, version: str | int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model_name, self.alias, self.version = model_name, alias, version

    def execute(self, context: Any) -> dict[str, Any]:
        name, alias, version = (
            normalize_full_name(self.model_name),
            normalize_alias(self.alias),
            version_number(self.version),
        )
        self.uc_hook.get_model_version(name, version)  # a missing version fails here with a clear 404, not on PUT
        holder = alias_holder(self.uc_hook, name, alias)
        previous = holder.version if holder else None
        changed = previous != version
        if changed:
            self.uc_hook.set_alias(name, alias, version)
        self.push_version_link(context, name, version)
        self.log.info(
            "Alias %r of %r: %s.", alias, name, f"{previous} -> {version}" if changed else f"already on {version}"
        )
        return {
            "model_name": name,
            "alias": alias,
            "version": version,
            "previous_version": previous,
            "changed": changed,
        }


class DeleteModelAliasOperator(UnityCatalogOperator):
    """Remove `alias` from a UC model; nothing to do when it is not set.

    :param expected_version: if given, delete only when the alias still points at this version (otherwise fail
        without changing anything: someone moved it meanwhile).

    Returns `{model_name, alias, deleted_from_version, changed}`.
    """

    template_fields: Sequence[str] = ("model_name", "alias", "expected_version")

    def __init__(self, *, model_name: str, alias: str, expected_version: str | int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.model_name, self.alias, self.expected_version = model_name, alias, expected_version

    def execute(self, context: Any) -> dict[str, Any]:
        name, alias = normalize_full_name(self.model_name), normalize_alias(self.alias)
        expected = None if self.expected_version in (None, "") else version_number(self.expected_version)
        holder = alias_holder(self.uc_hook, name, alias)
        if holder is None:
            self.log.info("Alias %r of %r is not set: nothing to delete.", alias, name)
            return {"model_name": name, "alias": alias, "deleted_from_version": None, "changed": False}
        if expected is not None and holder.version != expected:
            raise ValueError(
                f"alias {alias!r} of {name!r} points at version {holder.version}, not {expected}: not deleted"
            )
        self.uc_hook.delete_alias(name, alias)
        self.push_version_link(context, name, holder.version)
        self.log.info("Alias %r of %r deleted (it pointed at version %s).", alias, name, holder.version)
        return {"model_name": name, "alias": alias, "deleted_from_version": holder.version, "changed": True}


def _tags(tags: Any) -> dict[str, str]:
    if not isinstance(tags, Mapping) or not tags:
        raise ValueError(f"tags must be a non-empty mapping of tag key to value, got {tags!r}")
    out: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"tag keys must be non-empty strings, got {key!r}")
        if value is None or isinstance(value, (dict, list)):
            raise ValueError(f"tag {key!r}: the value must be a string or a number, got {value!r}")
        out[key] = str(value)
    return out


class SetModelVersionTagsOperator(UnityCatalogOperator):
    """Set several tags on a UC model version; tags that already hold the value are not written again.

    Returns `{model_name, version, tags_set: {key: value}, unchanged: [key]}`.
    """

    template_fields: Sequence[str] = ("model_name", "version", "tags")
    template_fields_renderers = {"tags": "json"}

    def __init__(self, *, model_name: str, version: str | int, tags: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model_name, self.version, self.tags = model_name, version, tags

    def execute(self, context: Any) -> dict[str, Any]:
        name, version, tags = normalize_full_name(self.model_name), version_number(self.version), _tags(self.tags)
        current = version_state(self.uc_hook, name, version)
        changed = {key: value for key, value in tags.items() if current.tags.get(key) != value}
        for key, value in changed.items():
            self.uc_hook.set_version_tag(name, version, key, value)
        self.push_version_link(context, name, version)
        self.log.info(
            "Version %s of %r: set %s; %d already set.", version, name, changed or "nothing", len(tags) - len(changed)
        )
        return {
            "model_name": name,
            "version": version,
            "tags_set": changed,
            "unchanged": sorted(set(tags) - set(changed)),
        }


class DeleteModelVersionTagOperator(UnityCatalogOperator):
    """Delete one tag of a UC model version; nothing to do when it is not there.

    Returns `{model_name, version, key, deleted_value, changed}`.
    """

    template_fields: Sequence[str] = ("model_name", "version", "key")

    def __init__(self, *, model_name: str, version: str | int, key: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model_name, self.version, self.key = model_name, version, key

    def execute(self, context: Any) -> dict[str, Any]:
        name, version = normalize_full_name(self.model_name), version_number(self.version)
        if not isinstance(self.key, str) or not self.key.strip():
            raise ValueError(f"key must be a non-empty tag key, got {self.key!r}")
        current = version_state(self.uc_hook, name, version)
        self.push_version_link(context, name, version)
        if self.key not in current.tags:
            self.log.info("Version %s of %r has no tag %r: nothing to delete.", version, name, self.key)
            return {"model_name": name, "version": version, "key": self.key, "deleted_value": None, "changed": False}
        self.uc_hook.delete_version_tag(name, version, self.key)
        self.log.info("Version %s of %r: tag %r deleted.", version, name, self.key)
        return {
            "model_name": name,
            "version": version,
            "key": self.key,
            "deleted_value": current.tags[self.key],
            "changed": True,
        }
