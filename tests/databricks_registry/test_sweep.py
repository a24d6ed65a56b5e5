"""Triggers of one connection and poke interval share one registry read per round (`databricks_registry.sweep`)."""

from __future__ import annotations

import asyncio

from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.sweep import sweep_for
from databricks_registry.triggers import TransitionRequestTrigger

INTERVAL = 0.2


def deferred(name: str, **kwargs) -> TransitionRequestTrigger:
    """A trigger as the sensor defers it after its first poke looked at version 1."""
    return TransitionRequestTrigger(name, poke_interval=INTERVAL, watch={"watermark": 1, "pokes": 1}, **kwargs)


async def test_triggers_share_one_read_per_round_and_each_fires_on_its_own_request(proxied, registered, model_name):
    names = [f"{model_name} {i}" for i in range(3)]
    for name in names:
        registered(1, name=name)
    never_registered = f"{model_name} not yet"
    tasks = [asyncio.create_task(deferred(name).run().__anext__()) for name in [*names, never_registered]]
    await asyncio.sleep(0)  # let the triggers join their sweep
    sweep = sweep_for("databricks_default", INTERVAL, ModelRegistryHook)
    assert sorted(sweep.waiting) == sorted([*names, never_registered])

    (v2,) = registered(1, name=names[1])
    await asyncio.to_thread(ModelRegistryHook().create_transition_request, names[1], v2, "Staging", "go")
    event = await asyncio.wait_for(tasks[1], timeout=30)
    assert event.payload["status"] == "success" and [e["version"] for e in event.payload["events"]] == [v2]
    assert not any(task.done() for i, task in enumerate(tasks) if i != 1)  # the others keep waiting

    rounds = sweep.rounds
    # One search page per round for every waiting model; a get only for the model the search did not list.
    assert proxied.total("registered-models/search") in (rounds, rounds + 1)
    assert proxied.total("registered-models/get") in (rounds, rounds + 1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert not sweep.waiting
    await asyncio.wait_for(asyncio.gather(sweep._task, return_exceptions=True), timeout=10)  # the last one out ends it


async def test_a_failing_shared_read_reaches_every_waiter_once_per_round(proxied, registered, model_name):
    names = [f"{model_name} {i}" for i in range(2)]
    for name in names:
        registered(1, name=name)
    proxied.reset()
    proxied.inject(503, times=100, path_contains="registered-models/search")
    triggers = [deferred(name, retry_limit=1, max_consecutive_errors=3) for name in names]
    events = await asyncio.wait_for(asyncio.gather(*(t.run().__anext__() for t in triggers)), timeout=30)
    for name, event in zip(names, events, strict=True):
        assert event.payload["status"] == "error" and event.payload["error_type"] == "RegistryUnavailable"
        assert "3 failed polls" in event.payload["message"] and name in event.payload["message"]
    assert proxied.total("registered-models/search") == 3  # one failed read per round, shared by both triggers
    assert proxied.total("registered-models/get") == 0


async def test_a_lone_trigger_still_costs_one_get_per_quiet_poke(proxied, registered, model_name):
    registered(1)
    proxied.reset()
    task = asyncio.create_task(deferred(model_name).run().__anext__())
    await asyncio.sleep(0)
    sweep = sweep_for("databricks_default", INTERVAL, ModelRegistryHook)
    (v2,) = registered(1)
    await asyncio.to_thread(ModelRegistryHook().create_transition_request, model_name, v2, "Staging", "go")
    event = await asyncio.wait_for(task, timeout=30)
    assert event.payload["status"] == "success"
    assert proxied.total("registered-models/search") == 0
    assert proxied.total("registered-models/get") == sweep.rounds
