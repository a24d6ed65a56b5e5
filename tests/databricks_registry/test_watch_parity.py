"""The sensor (sync `detect`) and the trigger (async `a_detect`) find the same events with the same calls.

Both carry out one `poke_steps`; these tests hold them to it for the same registry state: a small in-memory registry
for the cases a live workspace cannot stage on demand (a request that carries no `from_stage`, a version deleted
between two calls), and the local workspace over real HTTP.
"""

from __future__ import annotations

import pytest

from databricks_registry.entities import Activity, ModelVersion, RegisteredModel
from databricks_registry.errors import RegistryResourceNotFound, RegistryUnavailable
from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.watch import VersionWatch, a_detect, detect

NAME = "churn"


def request(to_stage: str, user: str, at: int, from_stage: str | None = None) -> Activity:
    return Activity(activity_type="REQUESTED_TRANSITION", to_stage=to_stage, user_id=user, creation_timestamp=at,
                    from_stage=from_stage)  # fmt: skip


class Registry:
    """One registry state served to both paths (sync `name`, async `a_name`); records every read."""

    def __init__(
        self, newest: int | None, requests: dict[str, list[Activity]], stages: dict[str, str], exists: bool = True
    ) -> None:
        # latest_versions holds the newest version only: older versions' stages are unknown to the poke.
        latest = (ModelVersion(NAME, str(newest), stages.get(str(newest), "None")),) if newest else ()
        self.model = RegisteredModel(NAME, latest_versions=latest) if exists else None
        self.requests, self.stages = requests, stages
        self.calls: list[tuple[str, tuple]] = []
        self.fail_on: str | None = None

    def _read(self, method: str, args: tuple):
        self.calls.append((method, args))
        if method == self.fail_on:
            raise RegistryUnavailable("workspace down")

    def get_registered_model(self, name: str) -> RegisteredModel:
        self._read("get_registered_model", (name,))
        if self.model is None:
            raise RegistryResourceNotFound("no such model")
        return self.model

    def list_transition_requests(self, name: str, version: str) -> list[Activity]:
        self._read("list_transition_requests", (name, version))
        if version not in self.requests:
            raise RegistryResourceNotFound("no such version")
        return self.requests[version]

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        self._read("get_model_version", (name, version))
        return ModelVersion(name, version, self.stages.get(version, "None"))

    async def a_get_registered_model(self, name: str) -> RegisteredModel:
        return self.get_registered_model(name)

    async def a_list_transition_requests(self, name: str, version: str) -> list[Activity]:
        return self.list_transition_requests(name, version)

    async def a_get_model_version(self, name: str, version: str) -> ModelVersion:
        return self.get_model_version(name, version)


STATES = {
    "no model yet": lambda: Registry(None, {}, {}, exists=False),
    "no versions": lambda: Registry(None, {}, {}),
    "requests on old and new versions, one without from_stage": lambda: Registry(
        6,
        {
            "3": [request("Staging", "ana", 30)],  # no from_stage, not in latest_versions: one more read
            "4": [],
            "5": [request("Production", "bob", 50, "Staging"), request("Staging", "bob", 51, "None")],
            "6": [request("Staging", "cy", 60, "None"), request("Staging", "cy", 60, "None")],  # a duplicate
        },  # version 2 was deleted: its list answers 404
        {"3": "Production", "5": "Staging"},
    ),
}


async def both_paths(make_registry, pokes: int = 2, **watch_kwargs) -> tuple[list, list]:
    """Run `pokes` pokes on each path against fresh copies of one state; return (sync, async) observations."""
    observed = []
    for path in ("sync", "async"):
        registry, watch = make_registry(), VersionWatch(lookback_versions=5, **watch_kwargs)
        results = []
        for now in range(pokes):
            if path == "sync":
                result = detect(registry, NAME, "Staging", watch, now)
            else:
                result = await a_detect(registry, NAME, "Staging", watch, now)
            results.append(([e.to_dict() for e in result.events], result.model_exists, result.listed_versions))
        observed.append((results, registry.calls, watch.to_dict()))
    return observed[0], observed[1]


@pytest.mark.parametrize("state", sorted(STATES))
async def test_sync_and_async_pokes_agree_on_events_calls_and_watch_state(state):
    sync, async_ = await both_paths(STATES[state], versions=("2",))
    assert sync == async_


async def test_a_request_without_from_stage_gets_the_versions_stage_on_both_paths():
    sync, async_ = await both_paths(STATES["requests on old and new versions, one without from_stage"], pokes=1)
    [(events, _, listed)] = sync[0]
    assert listed == ["2", "3", "4", "5", "6"]
    assert [(e["version"], e["from_stage"], e["requester"]) for e in events] == [
        ("3", "Production", "ana"),
        ("5", "None", "bob"),
        ("6", "None", "cy"),
    ]
    assert ("get_model_version", (NAME, "3")) in sync[1]
    assert sync == async_


@pytest.mark.parametrize("fail_on", ["get_registered_model", "list_transition_requests", "get_model_version"])
async def test_a_failed_read_fails_both_pokes_alike_and_leaves_the_watch_unmoved(fail_on):
    def failing() -> Registry:
        registry = STATES["requests on old and new versions, one without from_stage"]()
        registry.fail_on = fail_on
        return registry

    for path in ("sync", "async"):
        watch = VersionWatch(lookback_versions=5)
        with pytest.raises(RegistryUnavailable):
            if path == "sync":
                detect(failing(), NAME, "Staging", watch, 0)
            else:
                await a_detect(failing(), NAME, "Staging", watch, 0)
        assert watch.watermark is None and watch.pokes == 0, path


async def test_sync_and_async_pokes_agree_over_real_http(proxied, registered, model_name):
    hook = ModelRegistryHook()
    v1, _, v3 = registered(3)
    hook.create_transition_request(model_name, v1, "Staging", "old one")
    hook.create_transition_request(model_name, v3, "Staging", "new one")
    observed = []
    for path in ("sync", "async"):
        proxied.reset()
        watch = VersionWatch(lookback_versions=5)
        if path == "sync":
            result = detect(hook, model_name, "Staging", watch, 0)
        else:
            async with ModelRegistryHook() as async_hook:
                result = await a_detect(async_hook, model_name, "Staging", watch, 0)
        observed.append(([e.to_dict() for e in result.events], list(proxied.requests), watch.to_dict()))
    assert observed[0] == observed[1]
    assert [(e["version"], e["comment"]) for e in observed[0][0]] == [(v1, "old one"), (v3, "new one")]
