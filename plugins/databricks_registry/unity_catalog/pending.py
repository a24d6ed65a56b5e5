"""Cost-bounded detection of UC model versions awaiting validation, shared by the sensor (sync) and the trigger
(async) as one sans-IO `poke_steps` (carried out by `watch.run_steps` / `watch.a_run_steps`).

Unity Catalog has no "versions with tag X" query, and its search returns versions WITHOUT tags (MLflow's
`ModelVersionSearch`): a version's tags cost one `model-versions/get` each. Reading every version each poke would
cost one call per version ever registered. Instead, each poke costs:

* the search: one call per page of `page_size` versions (1,000 by default: one call for any model of up to 1,000
  versions), which gives every version's number, status and creation time;
* one `get` per *candidate*: the `lookback_versions` newest READY versions (newest by creation time, then number),
  only those created within `lookback_seconds` if set, plus the versions named in `versions`, MINUS the versions
  already seen settled (their tag holds another value, e.g. PASSED/FAILED) whose `last_updated_timestamp` has not
  moved since. The settled cache lives in the watch, so it survives across pokes (in the trigger, and in the sensor
  in poke mode).

So a poke costs pages(N) + at most K + len(versions) calls, whatever the number of versions N (up to `page_size`
versions: 1 + K at most, and 1 once the newest K are settled). Trade-off: a version older than the K newest READY
ones is never looked at unless named in `versions`, and a settled version re-tagged PENDING is seen again only if
that moved its `last_updated_timestamp`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from databricks_registry.errors import RegistryResourceNotFound
from databricks_registry.unity_catalog.entities import UcModelVersion, normalize_tag_key, normalize_uc_version
from databricks_registry.unity_catalog.hook import SEARCH_PAGE_SIZE
from databricks_registry.watch import Fetch

DEFAULT_TAG_KEY = "validation_status"
DEFAULT_TAG_VALUE = "PENDING"
DEFAULT_LOOKBACK_VERSIONS = 5


@dataclass
class PendingWatch:
    """What a poke looks for and which versions it reads; its state survives in trigger kwargs (`to_dict`)."""

    tag_key: str = DEFAULT_TAG_KEY
    tag_value: str = DEFAULT_TAG_VALUE
    lookback_versions: int = DEFAULT_LOOKBACK_VERSIONS
    lookback_seconds: float | None = None
    versions: tuple[int, ...] = ()
    page_size: int = SEARCH_PAGE_SIZE
    # version -> its last_updated_timestamp when it was seen settled (tag set to another value).
    settled: dict[str, int | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tag_key = normalize_tag_key(self.tag_key)
        if not isinstance(self.tag_value, str):
            raise ValueError(f"tag_value must be a string, got {self.tag_value!r}")
        if not isinstance(self.lookback_versions, int) or self.lookback_versions < 0:
            raise ValueError(f"lookback_versions must be an integer >= 0, got {self.lookback_versions!r}")
        if self.lookback_seconds is not None and not self.lookback_seconds > 0:
            raise ValueError(f"lookback_seconds must be > 0 (or None: no age limit), got {self.lookback_seconds!r}")
        if not isinstance(self.page_size, int) or self.page_size < 1:
            raise ValueError(f"page_size must be a positive integer, got {self.page_size!r}")
        self.versions = tuple(dict.fromkeys(normalize_uc_version(v) for v in self.versions))

    def plan(self, listed: list[UcModelVersion], now: float) -> list[UcModelVersion]:
        """The versions to read this poke, oldest first, from the search's `listed` versions (newest first)."""
        ready = sorted((v for v in listed if v.is_ready), key=lambda v: v.newest_first_key)
        window = ready[: self.lookback_versions]
        if self.lookback_seconds is not None:
            oldest_ms = (now - self.lookback_seconds) * 1000
            window = [v for v in window if (v.creation_timestamp or 0) >= oldest_ms]
        named = [v for v in ready if v.version in self.versions]
        candidates = {v.version: v for v in window + named}
        # Forget what left the window (deleted, or pushed out by newer versions): the cache stays <= K + named.
        self.settled = {k: t for k, t in self.settled.items() if int(k) in candidates}
        fresh = [v for v in candidates.values() if self.settled.get(str(v.version), -1) != v.last_updated_timestamp]
        return sorted(fresh, key=lambda v: v.newest_first_key, reverse=True)

    def is_pending(self, version: UcModelVersion) -> bool:
        return version.tags.get(self.tag_key) == self.tag_value

    def remember(self, version: UcModelVersion) -> None:
        """Cache a version whose tag holds another value: a decision was recorded, it is not read again."""
        if self.tag_key in version.tags and not self.is_pending(version):
            self.settled[str(version.version)] = version.last_updated_timestamp

    def to_dict(self) -> dict[str, Any]:
        return {
            "tag_key": self.tag_key,
            "tag_value": self.tag_value,
            "lookback_versions": self.lookback_versions,
            "lookback_seconds": self.lookback_seconds,
            "versions": list(self.versions),
            "page_size": self.page_size,
            "settled": dict(self.settled),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PendingWatch:
        known = cls.__dataclass_fields__
        values = {k: v for k, v in d.items() if k in known}
        values["versions"] = tuple(values.get("versions") or ())
        return cls(**values)


def validation_event(version: UcModelVersion) -> dict[str, Any]:
    """A pending version as the test notebook's `event_message` (the registry webhook's shape) plus run and tags."""
    return {
        "event": "MODEL_VERSION_CREATED",
        "registry": "uc",
        "model_name": version.full_name,
        "version": str(version.version),
        "to_stage": None,
        "from_stage": None,
        "event_timestamp": version.creation_timestamp,
        "text": "",
        "run_id": version.run_id,
        "tags": dict(version.tags),
    }


@dataclass(frozen=True)
class PendingPoke:
    events: list[dict[str, Any]]
    model_exists: bool
    read_versions: list[int]


def poke_steps(full_name: str, watch: PendingWatch, now: float) -> Generator[Fetch, Any, PendingPoke]:
    """One poke, free of I/O: yields each `Fetch` (a hook method and its arguments), is sent its answer (or thrown
    its error), returns the pending versions as events, oldest first."""
    try:
        listed: list[UcModelVersion] = yield Fetch("search_model_versions", (full_name, watch.page_size))
    except RegistryResourceNotFound:
        return PendingPoke([], model_exists=False, read_versions=[])
    pending: list[UcModelVersion] = []
    candidates = watch.plan(listed, now)
    for candidate in candidates:
        try:
            version: UcModelVersion = yield Fetch("get_model_version", (full_name, candidate.version))
        except RegistryResourceNotFound:  # deleted since the search
            continue
        if watch.is_pending(version):
            pending.append(version)
        else:
            watch.remember(version)
    return PendingPoke([validation_event(v) for v in pending], True, [c.version for c in candidates])


def wait_steps(full_name: str, watch: PendingWatch, now: float) -> Generator[Fetch, Any, dict[str, Any] | None]:
    """The sensor's and trigger's poke: `{"events": [...]}` when versions are pending, else None."""
    result = yield from poke_steps(full_name, watch, now)
    return {"events": result.events} if result.events else None
