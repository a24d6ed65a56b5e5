"""Typed value objects for Unity Catalog model answers, and the client-side checks of names, aliases and tags.

Field names follow MLflow's `databricks_uc_registry_messages.proto` (what `/api/2.0/mlflow/unity-catalog/...`
answers); `from_api` tolerates missing optional fields (the API omits empty ones). Timestamps are epoch ms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Version states of a UC model version: registered, files not finalized yet / finalizing failed / usable.
PENDING_REGISTRATION = "PENDING_REGISTRATION"
FAILED_REGISTRATION = "FAILED_REGISTRATION"
READY = "READY"

# One part of `catalog.schema.model`: letters, digits, `_` and `-` (no spaces, dots, slashes or backticks).
_NAME_PART = re.compile(r"[\w-]+")
# MLflow's alias rule: word characters and `-`, and never `latest` or `v<digits>` (those are version references).
_ALIAS = re.compile(r"[\w-]+")
_RESERVED_ALIAS = re.compile(r"latest|v\d+", re.IGNORECASE)


def normalize_full_name(full_name: Any) -> str:
    """Check a three-level Unity Catalog model name `catalog.schema.model`; return it stripped."""
    text = full_name.strip() if isinstance(full_name, str) else None
    parts = text.split(".") if text else []
    if len(parts) != 3 or not all(_NAME_PART.fullmatch(part) for part in parts):
        raise ValueError(
            f"Invalid Unity Catalog model name {full_name!r}: expected three dot-separated parts "
            "catalog.schema.model of letters, digits, '_' or '-' (e.g. 'main.churn.churn_model')"
        )
    return text  # type: ignore[return-value]  # parts is non-empty only when text is a str


def normalize_uc_version(version: Any) -> int:
    """UC model versions are positive integers (the API sends them as strings)."""
    text = str(version).strip() if isinstance(version, (str, int)) and not isinstance(version, bool) else ""
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"Invalid model version {version!r}: expected a positive integer")
    return int(text)


def normalize_alias(alias: Any) -> str:
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias) or _RESERVED_ALIAS.fullmatch(alias):
        raise ValueError(
            f"Invalid alias {alias!r}: expected letters, digits, '_' or '-', and not 'latest' or 'v<number>' "
            "(those name versions, e.g. 'champion')"
        )
    return alias


# Unity Catalog refuses tag keys holding any of these ("Apply tags to Unity Catalog securable objects").
RESERVED_TAG_KEY_CHARS = ".,-=/:"


def normalize_tag_key(key: Any) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"Invalid tag key {key!r}: expected a non-empty string")
    reserved = sorted({c for c in key if c in RESERVED_TAG_KEY_CHARS}, key=RESERVED_TAG_KEY_CHARS.index)
    if reserved:
        raise ValueError(
            f"Invalid tag key {key!r}: Unity Catalog refuses tag keys containing {' '.join(reserved)} "
            f"(reserved: {' '.join(RESERVED_TAG_KEY_CHARS)}); use '_' instead, e.g. {_underscored(key)!r}"
        )
    return key


def _underscored(key: str) -> str:
    return "".join("_" if c in RESERVED_TAG_KEY_CHARS else c for c in key)


def _int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def _tags(raw: Any) -> dict[str, str]:
    """`[{key, value}]` as the API sends tags (a dict is accepted too)."""
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return {t["key"]: str(t.get("value", "")) for t in raw or () if isinstance(t, dict) and "key" in t}


def _alias_pairs(raw: Any) -> list[tuple[str, int | None]]:
    """`[{alias, version}]` (registered models and versions) or plain alias names."""
    pairs: list[tuple[str, int | None]] = []
    for item in raw or ():
        if isinstance(item, str):
            pairs.append((item, None))
        elif isinstance(item, dict) and item.get("alias"):
            pairs.append((str(item["alias"]), _int(item.get("version"))))
    return pairs


@dataclass(frozen=True)
class UcModelVersion:
    """One version of a Unity Catalog model.

    `tags_known` is False for versions listed by `search_model_versions`: UC search returns neither tags nor
    aliases (MLflow's `ModelVersionSearch` says so), so their `tags`/`aliases` are empty, not "none set".
    """

    full_name: str
    version: int
    status: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    run_id: str | None = None
    description: str | None = None
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    user_id: str | None = None
    source: str | None = None
    status_message: str | None = None
    tags_known: bool = True

    @property
    def is_ready(self) -> bool:
        return self.status == READY

    @property
    def newest_first_key(self) -> tuple[int, int]:
        """Sort key, ascending = newest first: by creation time, then version number."""
        return (-(self.creation_timestamp or 0), -self.version)

    @classmethod
    def from_api(cls, d: dict[str, Any], *, from_search: bool = False) -> UcModelVersion:
        return cls(
            full_name=str(d.get("name", "")),
            version=int(d.get("version") or 0),
            status=d.get("status") or None,
            tags={} if from_search else _tags(d.get("tags")),
            aliases=() if from_search else tuple(alias for alias, _ in _alias_pairs(d.get("aliases"))),
            run_id=d.get("run_id") or None,
            description=d.get("description") or None,
            creation_timestamp=_int(d.get("creation_timestamp")),
            last_updated_timestamp=_int(d.get("last_updated_timestamp")),
            user_id=d.get("user_id") or None,
            source=d.get("source") or None,
            status_message=d.get("status_message") or None,
            tags_known=not from_search,
        )


@dataclass(frozen=True)
class UcRegisteredModel:
    """A Unity Catalog model: `aliases` maps each alias to its version number.

    `owner` is the API's `owner` where it sends one (the `/api/2.1` surface), else `user_id` (MLflow's UC
    surface, which names the creator, who owns the model until ownership is transferred).
    """

    full_name: str
    owner: str | None = None
    aliases: dict[str, int] = field(default_factory=dict)
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> UcRegisteredModel:
        return cls(
            full_name=str(d.get("name") or d.get("full_name") or ""),
            owner=d.get("owner") or d.get("user_id") or None,
            aliases={alias: version for alias, version in _alias_pairs(d.get("aliases")) if version is not None},
            description=d.get("description") or None,
            tags=_tags(d.get("tags")),
            creation_timestamp=_int(d.get("creation_timestamp")),
            last_updated_timestamp=_int(d.get("last_updated_timestamp")),
        )


@dataclass(frozen=True)
class UcVersionPage:
    """One page of `model-versions/search` (versions without tags or aliases, in the server's order)."""

    model_versions: tuple[UcModelVersion, ...]
    next_page_token: str | None = None
