"""The pending-validation and approval pokes as pure logic: what a poke reads, finds and caches (no server).

A `Registry` stands in for the hook: it keeps versions in memory, answers the hook's sync and async methods
(search without tags, as UC does) and counts calls, so the same steps are checked on both paths.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from databricks_registry.errors import RegistryResourceNotFound
from databricks_registry.unity_catalog.approval import ApprovalRule, approval_steps
from databricks_registry.unity_catalog.entities import UcModelVersion
from databricks_registry.unity_catalog.pending import PendingWatch, poke_steps
from databricks_registry.watch import a_run_steps, run_steps

NAME = "main.churn.m"
NOW = 1_700_000_000.0  # epoch seconds


class Registry:
    def __init__(self) -> None:
        self.versions: dict[int, UcModelVersion] = {}
        self.calls: list[str] = []

    def add(self, tags: dict[str, str] | None = None, status: str = "READY", age_s: float = 0) -> int:
        number = len(self.versions) + 1
        created = int((NOW - age_s) * 1000) + number  # later versions are newer
        self.versions[number] = UcModelVersion(
            NAME, number, status, dict(tags or {}), (), "run", None, created, created
        )
        return number

    def tag(self, number: int, key: str, value: str, bump: bool = True) -> None:
        v = self.versions[number]
        updated = (v.last_updated_timestamp or 0) + (1 if bump else 0)
        self.versions[number] = replace(v, tags={**v.tags, key: value}, last_updated_timestamp=updated)

    def search_model_versions(self, full_name: str, page_size: int) -> list[UcModelVersion]:
        self.calls.append("search")
        if full_name != NAME:
            raise RegistryResourceNotFound("no such model")
        return [replace(v, tags={}, tags_known=False) for v in reversed(self.versions.values())]

    def get_model_version(self, full_name: str, version: int) -> UcModelVersion:
        self.calls.append(f"get {version}")
        return self.versions[version]

    async def a_search_model_versions(self, full_name: str, page_size: int) -> list[UcModelVersion]:
        return self.search_model_versions(full_name, page_size)

    async def a_get_model_version(self, full_name: str, version: int) -> UcModelVersion:
        return self.get_model_version(full_name, version)


PENDING = {"validation_status": "PENDING"}
PASSED = {"validation_status": "PASSED"}


def poke(registry: Registry, watch: PendingWatch, name: str = NAME):
    registry.calls.clear()
    return run_steps(registry, poke_steps(name, watch, NOW))


def test_finds_pending_ready_versions_oldest_first_as_webhook_shaped_events():
    registry = Registry()
    registry.add(PASSED)
    two = registry.add(PENDING)
    registry.add(PENDING, status="PENDING_REGISTRATION")  # files not finalized: not a candidate yet
    four = registry.add(PENDING)
    result = poke(registry, PendingWatch())
    assert [e["version"] for e in result.events] == [str(two), str(four)]
    assert result.events[0] == {
        "event": "MODEL_VERSION_CREATED",
        "registry": "uc",
        "model_name": NAME,
        "version": "2",
        "to_stage": None,
        "from_stage": None,
        "event_timestamp": registry.versions[two].creation_timestamp,
        "text": "",
        "run_id": "run",
        "tags": PENDING,
    }
    assert "get 3" not in registry.calls


@pytest.mark.parametrize("n_versions", [5, 50, 500])
def test_calls_per_poke_are_flat_in_the_number_of_versions(n_versions):
    registry = Registry()
    for _ in range(n_versions):
        registry.add(PASSED)
    watch = PendingWatch(lookback_versions=5)
    assert len(poke(registry, watch).read_versions) == 5
    assert len(registry.calls) == 1 + 5  # one search, the look-back window
    assert poke(registry, watch).events == []
    assert registry.calls == ["search"]  # every version in the window is settled: cached
    new = registry.add(PENDING)
    result = poke(registry, watch)
    assert (registry.calls, [e["version"] for e in result.events]) == (["search", f"get {new}"], [str(new)])


def test_untagged_versions_stay_candidates_until_tagged():
    registry = Registry()
    one = registry.add()  # registered, tag not set yet
    watch = PendingWatch()
    assert poke(registry, watch).events == []
    registry.tag(one, "validation_status", "PENDING")
    assert [e["version"] for e in poke(registry, watch).events] == ["1"]


def test_a_settled_version_set_back_to_pending_is_read_again_when_its_update_time_moves():
    registry = Registry()
    one = registry.add(PASSED)
    watch = PendingWatch()
    poke(registry, watch)
    assert watch.settled == {"1": registry.versions[one].last_updated_timestamp}
    registry.tag(one, "validation_status", "PENDING", bump=False)
    assert poke(registry, watch).events == []  # the documented trade-off: no update time, no re-read
    registry.tag(one, "validation_status", "PENDING", bump=True)
    assert [e["version"] for e in poke(registry, watch).events] == ["1"]


def test_look_back_by_count_and_age_and_named_versions():
    registry = Registry()
    old = registry.add(PENDING, age_s=3600)
    for _ in range(3):
        registry.add(PENDING, age_s=10)
    assert [e["version"] for e in poke(registry, PendingWatch(lookback_versions=2)).events] == ["3", "4"]
    aged = PendingWatch(lookback_versions=10, lookback_seconds=60)
    assert [e["version"] for e in poke(registry, aged).events] == ["2", "3", "4"]
    named = PendingWatch(lookback_versions=1, versions=(old, "1"))
    assert named.versions == (1,)
    assert [e["version"] for e in poke(registry, named).events] == ["1", "4"]


def test_a_model_that_does_not_exist_yet_is_waited_for():
    result = poke(Registry(), PendingWatch(), name="main.churn.other")
    assert (result.events, result.model_exists) == ([], False)


def test_state_round_trips_and_the_cache_forgets_versions_out_of_the_window():
    registry = Registry()
    for _ in range(3):
        registry.add(PASSED)
    watch = PendingWatch(lookback_versions=2, tag_value="WAITING")
    poke(registry, watch)
    assert sorted(watch.settled) == ["2", "3"]
    registry.add(PASSED)
    poke(registry, watch)
    assert sorted(watch.settled) == ["3", "4"]
    assert PendingWatch.from_dict(watch.to_dict()) == watch


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lookback_versions": -1}, "lookback_versions"),
        ({"lookback_seconds": 0}, "lookback_seconds"),
        ({"page_size": 0}, "page_size"),
        ({"tag_key": ""}, "tag key"),
        ({"versions": ("x",)}, "positive integer"),
    ],
)
def test_bad_watch_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PendingWatch(**kwargs)


def test_sync_and_async_pokes_make_the_same_calls_and_find_the_same_events():
    sync_registry, async_registry = Registry(), Registry()
    for registry in (sync_registry, async_registry):
        for tags in (PASSED, PENDING, {}, PENDING):
            registry.add(tags)
    sync_watch, async_watch = PendingWatch(lookback_versions=3), PendingWatch(lookback_versions=3)
    for _ in range(2):
        sync_result = poke(sync_registry, sync_watch)
        async_registry.calls.clear()
        async_result = asyncio.run(a_run_steps(async_registry, poke_steps(NAME, async_watch, NOW)))
        assert sync_result == async_result
        assert sync_registry.calls == async_registry.calls
        assert sync_watch == async_watch


@pytest.mark.parametrize(
    ("tags", "decision"),
    [
        ({}, None),
        ({"approval": "Pending"}, None),
        ({"approval": "Approved"}, (True, None)),
        ({"approval": " approved ", "approved_by": "ana@example.com"}, (True, "ana@example.com")),
        ({"approval": "Rejected"}, (False, None)),
        ({"approval": "REJECTED", "approved_by": "bo"}, (False, "bo")),
    ],
)
def test_approval_tag_decisions(tags, decision):
    registry = Registry()
    number = registry.add(tags)
    found = run_steps(registry, approval_steps(NAME, number, ApprovalRule()))
    assert registry.calls == [f"get {number}"]
    if decision is None:
        assert found is None
    else:
        assert (found["approved"], found["by"]) == decision
        assert found["tag_value"] == tags["approval"] and found["version"] == "1"


def test_approval_rule_refuses_ambiguous_values():
    with pytest.raises(ValueError, match="two different"):
        ApprovalRule(approved_value="ok", rejected_value="OK")
