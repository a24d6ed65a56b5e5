"""An in-memory Unity Catalog model (versions, tags, aliases, descriptions) with the hook's method names, to drive
the UC operators through crashes at any write without a workspace (the HTTP tests use the local workspace)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from databricks_registry.errors import RegistryResourceNotFound, RegistryUnavailable
from databricks_registry.unity_catalog.entities import normalize_tag_key


@dataclass
class MemoryVersion:
    version: str
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    description: str = ""


class MemoryUnityCatalog:
    """`fail_at=n`: the n-th write (1-based) raises after being applied (an answer lost on the way back)."""

    def __init__(self, versions: int = 3) -> None:
        self.versions = {str(v): MemoryVersion(str(v)) for v in range(1, versions + 1)}
        self.aliases: dict[str, str] = {}
        self.writes: list[tuple[Any, ...]] = []
        self.fail_at: int | None = None

    def workspace_url(self) -> str:
        return "https://ws.example"

    def _write(self, *what: Any) -> None:
        self.writes.append(what)
        if self.fail_at == len(self.writes):
            raise RegistryUnavailable("answer lost", http_status_code=503)

    def get_model_version(self, name: str, version: str) -> MemoryVersion:
        if version not in self.versions:
            raise RegistryResourceNotFound(f"version {version} not found", http_status_code=404)
        v = self.versions[version]
        aliases = [a for a, held in self.aliases.items() if held == version]
        return MemoryVersion(version, dict(v.tags), aliases, v.description)

    def get_version_by_alias(self, name: str, alias: str) -> MemoryVersion:
        if alias not in self.aliases:
            raise RegistryResourceNotFound(f"alias {alias} not found", http_status_code=404)
        return self.get_model_version(name, self.aliases[alias])

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.aliases[alias] = version
        self._write("alias", alias, version)

    def delete_alias(self, name: str, alias: str) -> None:
        self.aliases.pop(alias, None)
        self._write("delete_alias", alias)

    def set_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        normalize_tag_key(key)  # as the real hook: a key Unity Catalog refuses never reaches the registry
        self.versions[version].tags[key] = value
        self._write("tag", version, key, value)

    def delete_version_tag(self, name: str, version: str, key: str) -> None:
        self.versions[version].tags.pop(key, None)
        self._write("delete_tag", version, key)

    def update_version_description(self, name: str, version: str, description: str) -> None:
        self.versions[version].description = description
        self._write("description", version)
