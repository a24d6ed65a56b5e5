"""TransitionRequestSensor in poke, reschedule and deferrable mode, against the local workspace (real HTTP)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from airflow.sdk.exceptions import AirflowRescheduleException, TaskDeferred
from fake_context import make_context
from registry_setup import create_version
from support.waiting import wait_for

from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.links import MODEL_VERSION_URL_KEY
from databricks_registry.sensors import TransitionRequestSensor, parse_versions
from databricks_registry.triggers import TransitionRequestTrigger

EVENT_KEYS = {
    "event",
    "model_name",
    "version",
    "to_stage",
    "from_stage",
    "requester",
    "comment",
    "creation_timestamp",
    "event_timestamp",
    "text",
}


def sensor(model_name: str, **kwargs) -> TransitionRequestSensor:
    kwargs.setdefault("poke_interval", 0.2)
    kwargs.setdefault("timeout", 60)
    kwargs.setdefault("deferrable", False)
    return TransitionRequestSensor(task_id="wait_for_request", model_name=model_name, **kwargs)


def register_and_request_while_the_sensor_waits(proxy, model_name: str) -> threading.Thread:
    """What the retraining DAG does: register a new version, then file a request for it. Each step waits for the
    sensor's next poke (one `registered-models/get` each, counted by the proxy), so the sensor sees the model
    without the new version, then the version without a request, then the request."""

    def pokes() -> int:
        return proxy.total("registered-models/get")

    before = pokes()

    def work():
        hook = ModelRegistryHook()
        wait_for(lambda: pokes() > before, timeout=60, what="the sensor's first poke")
        version = create_version(hook, model_name, "dbfs:/models/new")
        seen = pokes()
        wait_for(lambda: pokes() > seen, timeout=60, what="a poke that sees the new version")
        hook.create_transition_request(model_name, version, "Staging", "ready for testing")

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_poke_mode_waits_then_returns_webhook_shaped_events(proxied, registered, model_name, databricks_env):
    registered(1)
    v2 = "2"
    thread = register_and_request_while_the_sensor_waits(proxied, model_name)
    context = make_context()
    events = sensor(model_name, mode="poke").execute(context)
    thread.join()
    [event] = events
    assert set(event) == EVENT_KEYS
    assert event["event"] == "TRANSITION_REQUEST_TO_STAGING_CREATED"
    assert (event["model_name"], event["version"], event["to_stage"], event["from_stage"]) == (
        model_name,
        v2,
        "Staging",
        "None",
    )
    assert event["requester"] == databricks_env.user and event["comment"] == "ready for testing"
    assert isinstance(event["creation_timestamp"], int) and event["event_timestamp"] == event["creation_timestamp"]
    assert f"version {v2}" in event["text"] and model_name in event["text"]
    assert context["ti"].xcoms[MODEL_VERSION_URL_KEY].endswith(f"/versions/{v2}")


def test_events_are_ordered_deduplicated_and_filtered_by_stage(registered, model_name):
    hook = ModelRegistryHook()
    v1, v2, v3 = registered(3)
    hook.create_transition_request(model_name, v3, "Staging")
    hook.create_transition_request(model_name, v1, "Staging")
    hook.create_transition_request(model_name, v2, "Production")  # another stage: not ours
    # v1 is both in the look-back window and named explicitly: it must appear once.
    result = sensor(model_name, versions=[v1, "1"]).poke(make_context())
    assert result.is_done
    assert [(e["version"], e["to_stage"]) for e in result.xcom_value] == [(v3, "Staging"), (v1, "Staging")]

    production = sensor(model_name, to_stage="production").poke(make_context())
    assert [(e["event"], e["version"]) for e in production.xcom_value] == [
        ("TRANSITION_REQUEST_TO_PRODUCTION_CREATED", v2)
    ]


def test_reschedule_mode_reschedules_until_a_request_exists(registered, model_name):
    (v1,) = registered(1)
    with pytest.raises(AirflowRescheduleException):
        sensor(model_name, mode="reschedule").execute(make_context())
    ModelRegistryHook().create_transition_request(model_name, v1, "Staging")
    # A reschedule runs a fresh task try: a new operator instance.
    events = sensor(model_name, mode="reschedule").execute(make_context())
    assert [e["version"] for e in events] == [v1]


async def test_deferrable_mode_runs_the_trigger_and_resumes(registered, model_name):
    _, v2 = registered(2)
    context = make_context()
    task = sensor(model_name, deferrable=True, poke_interval=0.2)
    with pytest.raises(TaskDeferred) as deferred:
        await asyncio.to_thread(task.execute, context)
    trigger = deferred.value.trigger
    assert isinstance(trigger, TransitionRequestTrigger) and deferred.value.method_name == "execute_complete"

    # Round-trip through serialization, as the triggerer does.
    classpath, kwargs = trigger.serialize()
    assert classpath == "databricks_registry.triggers.TransitionRequestTrigger"
    rebuilt = TransitionRequestTrigger(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs["watch"]["watermark"] == 2  # the sensor's first poke already looked back

    creator = asyncio.create_task(
        asyncio.to_thread(ModelRegistryHook().create_transition_request, model_name, v2, "Staging", "go")
    )
    event = await asyncio.wait_for(rebuilt.run().__anext__(), timeout=30)
    await creator
    assert event.payload["status"] == "success"
    events = task.execute_complete(context, event.payload)
    assert [(e["version"], e["comment"]) for e in events] == [(v2, "go")]
    assert set(events[0]) == EVENT_KEYS
    assert context["ti"].xcoms[MODEL_VERSION_URL_KEY].endswith(f"/versions/{v2}")


async def test_trigger_survives_a_transient_error(proxied, registered, model_name):
    (v1,) = registered(1)
    ModelRegistryHook().create_transition_request(model_name, v1, "Staging")
    proxied.inject(503, times=1, path_contains="registered-models/get")
    trigger = TransitionRequestTrigger(model_name, poke_interval=0.05, retry_limit=1, max_consecutive_errors=3)
    event = await asyncio.wait_for(trigger.run().__anext__(), timeout=30)
    assert event.payload["status"] == "success" and [e["version"] for e in event.payload["events"]] == [v1]


async def test_trigger_gives_up_after_bounded_errors_with_a_clear_event(proxied, model_name):
    proxied.inject(503, times=100, path_contains="registered-models/get")
    trigger = TransitionRequestTrigger(model_name, poke_interval=0.05, retry_limit=1, max_consecutive_errors=3)
    event = await asyncio.wait_for(trigger.run().__anext__(), timeout=30)
    assert event.payload["status"] == "error"
    assert event.payload["error_type"] == "RegistryUnavailable" and event.payload["http_status_code"] == 503
    assert "3 failed polls" in event.payload["message"] and model_name in event.payload["message"]
    assert proxied.total("registered-models/get") == 3
    with pytest.raises(Exception, match="3 failed polls"):
        sensor(model_name).execute_complete(make_context(), event.payload)


async def test_trigger_stops_at_once_on_errors_retrying_cannot_fix(databricks_env, monkeypatch, model_name):
    import json

    conn = json.loads(databricks_env.airflow_connection_json())
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_DEFAULT", json.dumps({**conn, "password": "wrong"}))
    trigger = TransitionRequestTrigger(model_name, poke_interval=0.05, max_consecutive_errors=5)
    event = await asyncio.wait_for(trigger.run().__anext__(), timeout=30)
    assert (event.payload["status"], event.payload["error_type"]) == ("error", "RegistryUnauthenticated")


def test_calls_per_poke_do_not_grow_with_versions(proxied, registered, model_name):
    registered(30)
    task = sensor(model_name, lookback_versions=5)
    proxied.reset()
    assert not task.poke(make_context()).is_done
    assert proxied.total() == 1 + 5  # registered-models/get + the look-back window
    proxied.reset()
    assert not task.poke(make_context()).is_done
    assert proxied.total() == 1  # quiet poke: nothing new
    new = registered(2)
    proxied.reset()
    assert not task.poke(make_context()).is_done
    assert proxied.total() == 1 + 2
    ModelRegistryHook().create_transition_request(model_name, new[0], "Staging")  # filed after its version appeared
    proxied.reset()
    result = task.poke(make_context())
    assert [e["version"] for e in result.xcom_value] == [new[0]]
    assert proxied.total() == 1 + 2  # the two young versions are still re-checked


def test_late_request_on_an_already_seen_version_is_found_by_the_periodic_rescan(proxied, registered, model_name):
    (v1,) = registered(1)
    task = sensor(model_name, rescan_every=3)
    assert not task.poke(make_context()).is_done  # poke 0: look-back
    ModelRegistryHook().create_transition_request(model_name, v1, "Staging")
    proxied.reset()
    assert not task.poke(make_context()).is_done  # poke 1 and 2: quiet, 1 call each
    assert not task.poke(make_context()).is_done
    assert proxied.total() == 2
    result = task.poke(make_context())  # poke 3: look-back again
    assert [e["version"] for e in result.xcom_value] == [v1]


async def test_deferred_sensor_times_out_in_the_trigger_and_soft_fails(registered, model_name):
    """The timeout holds even where only the trigger runs (dag.test() runs triggers inline, with no deadline)."""
    from airflow.providers.common.compat.sdk import AirflowSensorTimeout, AirflowSkipException

    registered(1)
    context = make_context()
    task = sensor(model_name, deferrable=True, poke_interval=0.2, timeout=1.5, soft_fail=True)
    with pytest.raises(TaskDeferred) as deferred:
        await asyncio.to_thread(task.execute, context)
    _, kwargs = deferred.value.trigger.serialize()
    assert kwargs["end_time"] == pytest.approx(time.time() + 1.5, abs=1.5)
    started = time.monotonic()
    event = await asyncio.wait_for(TransitionRequestTrigger(**kwargs).run().__anext__(), timeout=30)
    assert event.payload["status"] == "timeout" and time.monotonic() - started < 10
    with pytest.raises(AirflowSkipException, match="No open request to Staging"):
        task.execute_complete(context, event.payload)
    hard = sensor(model_name, deferrable=True, timeout=1.5)
    with pytest.raises(AirflowSensorTimeout):
        hard.execute_complete(context, event.payload)


def test_missing_model_keeps_waiting(model_name, databricks_env):
    assert not sensor(f"never registered {model_name}").poke(make_context()).is_done


def test_templated_versions_and_bad_arguments():
    assert parse_versions(None) == () and parse_versions("3, 4") == ("3", "4")
    assert parse_versions("None") == () and parse_versions(" ") == ()  # an unset templated param
    assert parse_versions("[3, 4]") == ("3", "4") and parse_versions(7) == ("7",)
    with pytest.raises(ValueError):
        sensor("m", lookback_versions=-1)
    with pytest.raises(ValueError):
        sensor("m", to_stage="Stagin", versions="x").poke(make_context())
