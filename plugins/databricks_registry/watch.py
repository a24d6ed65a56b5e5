"""Cost-bounded detection of open transition requests, shared by the sensor (sync) and the trigger (async).

The registry has no "all open requests of a model" call: `transition-requests/list` is per version. Listing every
version each poke would cost one call per version ever registered. Instead, each poke costs:

* 1 call `databricks/registered-models/get`: its `latest_versions` (latest version per stage) gives the newest
  version number N, whatever the number of versions (flat payload, no pagination);
* 1 `transition-requests/list` per *candidate* version:
  - first poke of a watch: the look-back window, the `lookback_versions` newest versions (N-K+1 .. N);
  - later pokes: only versions above the watermark (registered since the previous poke), plus versions that
    appeared while watching and are younger than `recheck_seconds` (a request usually follows its version by a
    few minutes: the retrain run registers, then the next task files the request);
  - every `rescan_every`-th poke: the look-back window again, for requests filed late on older versions (e.g. a
    person re-requesting after a rejection);
  - always: versions named explicitly in `versions`.

So a quiet poke costs 1 call, a poke after k new versions 1 + k (plus still-young ones), and one poke in
`rescan_every` costs 1 + `lookback_versions`: on average 1 + K/N + new, whatever the number of versions registered.
Trade-off: a request filed late on an already-seen version is noticed within `rescan_every` pokes instead of at
once, and a request on a version older than the look-back window is never noticed unless the version is named in
`versions` (listing every version each poke would cost one call per version ever registered).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from databricks_registry.entities import (
    Activity,
    ModelVersion,
    RegisteredModel,
    TransitionRequestEvent,
    normalize_version,
)
from databricks_registry.errors import RegistryError, RegistryResourceNotFound

R = TypeVar("R")

DEFAULT_LOOKBACK_VERSIONS = 5
DEFAULT_RECHECK_SECONDS = 900.0
DEFAULT_RESCAN_EVERY = 10


@dataclass
class VersionWatch:
    """Which versions to list on each poke; its state survives in trigger kwargs (see `to_dict`)."""

    lookback_versions: int = DEFAULT_LOOKBACK_VERSIONS
    recheck_seconds: float = DEFAULT_RECHECK_SECONDS
    versions: tuple[str, ...] = ()
    rescan_every: int = DEFAULT_RESCAN_EVERY
    watermark: int | None = None
    pokes: int = 0
    # version -> epoch seconds when this watch first saw it (only versions registered while watching).
    young: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.lookback_versions, int) or self.lookback_versions < 0:
            raise ValueError(f"lookback_versions must be an integer >= 0, got {self.lookback_versions!r}")
        if not isinstance(self.rescan_every, int) or self.rescan_every < 1:
            raise ValueError(f"rescan_every must be an integer >= 1, got {self.rescan_every!r}")
        if self.recheck_seconds < 0:
            raise ValueError(f"recheck_seconds must be >= 0, got {self.recheck_seconds!r}")
        self.versions = tuple(dict.fromkeys(normalize_version(v) for v in self.versions))

    def plan(self, newest: int | None, now: float) -> list[str]:
        """Versions to list on this poke, newest version number `newest` (None: the model has no versions)."""
        candidates: dict[str, None] = dict.fromkeys(self.versions)
        if newest is not None:
            if self.watermark is None or self.pokes % self.rescan_every == 0:
                window = range(max(1, newest - self.lookback_versions + 1), newest + 1)
                candidates.update(dict.fromkeys(str(n) for n in window))
            if self.watermark is not None:
                registered_since = [str(n) for n in range(self.watermark + 1, newest + 1)]
                candidates.update(dict.fromkeys(registered_since))
                for version in registered_since:
                    self.young.setdefault(version, now)
        self.young = {v: t for v, t in self.young.items() if now - t <= self.recheck_seconds}
        candidates.update(dict.fromkeys(self.young))
        return sorted(candidates, key=int)

    def advance(self, newest: int | None) -> None:
        """Record that every version up to `newest` has been looked at."""
        self.pokes += 1
        if newest is not None:
            self.watermark = max(newest, self.watermark or 0)
        elif self.watermark is None:
            self.watermark = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "lookback_versions": self.lookback_versions,
            "recheck_seconds": self.recheck_seconds,
            "versions": list(self.versions),
            "rescan_every": self.rescan_every,
            "watermark": self.watermark,
            "pokes": self.pokes,
            "young": dict(self.young),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VersionWatch:
        return cls(
            lookback_versions=d.get("lookback_versions", DEFAULT_LOOKBACK_VERSIONS),
            recheck_seconds=d.get("recheck_seconds", DEFAULT_RECHECK_SECONDS),
            versions=tuple(d.get("versions") or ()),
            rescan_every=d.get("rescan_every", DEFAULT_RESCAN_EVERY),
            watermark=d.get("watermark"),
            pokes=d.get("pokes", 0),
            young=dict(d.get("young") or {}),
        )


def stage_of(model: RegisteredModel | None, version: str) -> str | None:
    """Current stage of `version` if it is among the latest versions per stage, else None (unknown)."""
    for mv in model.latest_versions if model else ():
        if mv.version == version:
            return mv.current_stage
    return None


def collect_events(
    model_name: str,
    to_stage: str,
    found: dict[str, list[Activity]],
    model: RegisteredModel | None,
) -> list[TransitionRequestEvent]:
    """Open requests to `to_stage`, deduplicated by request identity, in deterministic order."""
    events: dict[tuple, TransitionRequestEvent] = {}
    for version, activities in found.items():
        for activity in activities:
            if activity.to_stage != to_stage:
                continue
            event = TransitionRequestEvent.from_activity(model_name, version, activity, stage_of(model, version))
            events.setdefault(event.key, event)
    return sorted(events.values(), key=lambda e: e.sort_key)


@dataclass(frozen=True)
class PokeResult:
    events: list[TransitionRequestEvent]
    model_exists: bool
    listed_versions: list[str]


@dataclass(frozen=True)
class Fetch:
    """One read a poke needs: the hook method (`a_<method>` on the async path) and its arguments."""

    method: str
    args: tuple[Any, ...]


def poke_steps(model_name: str, to_stage: str, watch: VersionWatch, now: float) -> Generator[Fetch, Any, PokeResult]:
    """One poke, free of I/O: yields each `Fetch`, is sent its answer (or thrown its error), returns the result.

    The only poke logic there is; `detect` and `a_detect` just carry out the fetches, so the sensor (sync) and the
    trigger (async) make the same calls and find the same events.
    """
    try:
        model: RegisteredModel | None = yield Fetch("get_registered_model", (model_name,))
    except RegistryResourceNotFound:
        model = None
    newest = model.newest_version if model else None
    listed = watch.plan(newest, now)
    found: dict[str, list[Activity]] = {}
    for version in listed:
        try:
            found[version] = yield Fetch("list_transition_requests", (model_name, version))
        except RegistryResourceNotFound:  # a deleted version (or an explicit one that does not exist yet)
            continue
    events = []
    for event in collect_events(model_name, to_stage, found, model):
        if event.from_stage is None:
            # Neither the request nor latest_versions told the version's stage: one extra call per such event.
            version_now: ModelVersion = yield Fetch("get_model_version", (model_name, event.version))
            event = replace(event, from_stage=version_now.current_stage or "None")
        events.append(event)
    watch.advance(newest)
    return PokeResult(events, model is not None, listed)


def _resume(steps: Generator[Fetch, Any, R], answer: Any = None, error: RegistryError | None = None) -> Fetch | R:
    """Send `answer` (or throw `error`) into the steps: their next fetch, or the poke's result."""
    try:
        return steps.throw(error) if error is not None else steps.send(answer)
    except StopIteration as done:
        return done.value


def run_steps(hook: Any, steps: Generator[Fetch, Any, R]) -> R:
    """Carry out sans-IO poke `steps` with a sync hook: each `Fetch` calls `hook.<method>`; errors go back in."""
    step = _resume(steps)
    while isinstance(step, Fetch):
        try:
            answer = getattr(hook, step.method)(*step.args)
        except RegistryError as error:
            step = _resume(steps, error=error)
        else:
            step = _resume(steps, answer)
    return step


async def a_run_steps(hook: Any, steps: Generator[Fetch, Any, R]) -> R:
    """The same steps as `run_steps`, fetched with the hook's async twins `a_<method>`."""
    step = _resume(steps)
    while isinstance(step, Fetch):
        try:
            answer = await getattr(hook, f"a_{step.method}")(*step.args)
        except RegistryError as error:
            step = _resume(steps, error=error)
        else:
            step = _resume(steps, answer)
    return step


def detect(hook: Any, model_name: str, to_stage: str, watch: VersionWatch, now: float) -> PokeResult:
    """One poke with a sync `ModelRegistryHook` (see the module docstring for its cost)."""
    return run_steps(hook, poke_steps(model_name, to_stage, watch, now))


async def a_detect(hook: Any, model_name: str, to_stage: str, watch: VersionWatch, now: float) -> PokeResult:
    """One poke with an async `ModelRegistryHook`: the same steps as `detect`, fetched with `a_<method>`."""
    return await a_run_steps(hook, poke_steps(model_name, to_stage, watch, now))
