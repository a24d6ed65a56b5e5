"""PendingValidationSensor and ApprovalTagSensor in poke, reschedule and deferrable mode against the local
workspace (real HTTP): what they return, what a poke costs, deferral, resume, timeout and errors."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import unquote

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowSensorTimeout, AirflowSkipException
from airflow.sdk.exceptions import AirflowRescheduleException, TaskDeferred
from fake_context import make_context

from databricks_registry.unity_catalog.hook import UnityCatalogModelsHook
from databricks_registry.unity_catalog.pending import PendingWatch, poke_steps
from databricks_registry.unity_catalog.sensors import ApprovalTagSensor, PendingValidationSensor
from databricks_registry.unity_catalog.triggers import ApprovalTagTrigger, PendingValidationTrigger
from databricks_registry.watch import a_run_steps, run_steps

PENDING = {"validation_status": "PENDING"}
PASSED = {"validation_status": "PASSED"}
EVENT_KEYS = {"event", "registry", "model_name", "version", "to_stage", "from_stage", "event_timestamp", "text"}


def pending_sensor(full_name: str, **kwargs) -> PendingValidationSensor:
    kwargs.setdefault("poke_interval", 0.1)
    kwargs.setdefault("timeout", 60)
    kwargs.setdefault("deferrable", False)
    return PendingValidationSensor(task_id="wait_for_candidates", full_name=full_name, **kwargs)


def approval_sensor(full_name: str, version: int | str, **kwargs) -> ApprovalTagSensor:
    kwargs.setdefault("poke_interval", 0.1)
    kwargs.setdefault("timeout", 60)
    kwargs.setdefault("deferrable", False)
    return ApprovalTagSensor(task_id="wait_for_approval", full_name=full_name, version=version, **kwargs)


async def next_event(trigger) -> dict:
    """Run a trigger as the triggerer does: rebuilt from its serialized form, until its one event."""
    classpath, kwargs = trigger.serialize()
    rebuilt = type(trigger)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    event = await asyncio.wait_for(rebuilt.run().__anext__(), timeout=30)
    return event.payload


def test_poke_returns_pending_ready_versions_as_webhook_shaped_events(uc_model):
    uc_model.add_version(PASSED)
    two = uc_model.add_version(PENDING)
    uc_model.add_version(PENDING, ready=False)  # still registering: not yet
    result = pending_sensor(uc_model.full_name).poke(make_context())
    assert result.is_done
    [event] = result.xcom_value
    assert set(event) == EVENT_KEYS | {"run_id", "tags"}
    assert (event["event"], event["registry"], event["model_name"], event["version"]) == (
        "MODEL_VERSION_CREATED",
        "uc",
        uc_model.full_name,
        str(two),
    )
    assert (event["to_stage"], event["from_stage"], event["text"], event["tags"]) == (None, None, "", PENDING)
    version = UnityCatalogModelsHook().get_model_version(uc_model.full_name, two)
    assert (event["event_timestamp"], event["run_id"]) == (version.creation_timestamp, version.run_id)


def test_custom_tag_and_named_versions(uc_model):
    old = uc_model.add_version({"needs_review": "yes"})
    for _ in range(3):
        uc_model.add_version({"needs_review": "no"})
    task = pending_sensor(uc_model.full_name, tag_key="needs_review", tag_value="yes", lookback_versions=2)
    assert not task.poke(make_context()).is_done  # v1 is outside the look-back window
    named = pending_sensor(
        uc_model.full_name, tag_key="needs_review", tag_value="yes", lookback_versions=2, versions="1"
    )
    assert [e["version"] for e in named.poke(make_context()).xcom_value] == [str(old)]


@pytest.mark.parametrize("n_versions", [5, 50])
def test_rest_calls_per_poke_are_flat_in_the_number_of_versions(n_versions, proxied, uc_model):
    for _ in range(n_versions):
        uc_model.add_version(PASSED)
    task = pending_sensor(uc_model.full_name, lookback_versions=5, mode="poke")
    proxied.reset()
    assert not task.poke(make_context()).is_done
    assert (proxied.total("model-versions/search"), proxied.total("model-versions/get")) == (1, 5)
    proxied.reset()
    assert not task.poke(make_context()).is_done  # the newest five are settled: cached
    assert proxied.total() == 1
    new = uc_model.add_version(PENDING)
    proxied.reset()
    assert [e["version"] for e in task.poke(make_context()).xcom_value] == [str(new)]
    assert proxied.total() == 2


def test_reschedule_mode_reschedules_until_a_version_is_pending(uc_model):
    one = uc_model.add_version()
    with pytest.raises(AirflowRescheduleException):
        pending_sensor(uc_model.full_name, mode="reschedule").execute(make_context())
    UnityCatalogModelsHook().set_version_tag(uc_model.full_name, one, "validation_status", "PENDING")
    events = pending_sensor(uc_model.full_name, mode="reschedule").execute(make_context())
    assert [e["version"] for e in events] == [str(one)]


async def test_deferrable_sensor_defers_then_resumes_with_the_events(proxied, uc_model):
    uc_model.add_version(PASSED)
    context = make_context()
    task = pending_sensor(uc_model.full_name, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        await asyncio.to_thread(task.execute, context)
    trigger = deferred.value.trigger
    assert isinstance(trigger, PendingValidationTrigger) and deferred.value.method_name == "execute_complete"
    assert trigger.serialize()[0] == "databricks_registry.unity_catalog.triggers.PendingValidationTrigger"
    assert trigger.watch.settled == {"1": trigger.watch.settled["1"]}  # the first poke's cache travels along
    two = await asyncio.to_thread(uc_model.add_version, PENDING)
    proxied.reset()
    payload = await next_event(trigger)
    assert payload["status"] == "success"
    assert (proxied.total("model-versions/search"), proxied.total("model-versions/get")) == (1, 1)  # v1 cached
    events = task.execute_complete(context, payload)
    assert [e["version"] for e in events] == [str(two)]


async def test_deferred_sensor_times_out_in_the_trigger_and_soft_fails(uc_model):
    context = make_context()
    task = pending_sensor(uc_model.full_name, deferrable=True, timeout=1, soft_fail=True)
    with pytest.raises(TaskDeferred) as deferred:
        await asyncio.to_thread(task.execute, context)
    started = time.monotonic()
    payload = await next_event(deferred.value.trigger)
    assert payload["status"] == "timeout" and time.monotonic() - started < 10
    with pytest.raises(AirflowSkipException, match="versions awaiting validation"):
        task.execute_complete(context, payload)
    with pytest.raises(AirflowSensorTimeout):
        pending_sensor(uc_model.full_name, deferrable=True).execute_complete(context, payload)


def test_bad_names_fail_the_task_with_a_clear_error(databricks_env):
    with pytest.raises(ValueError, match="catalog.schema.model"):
        pending_sensor("churn model").execute(make_context())
    with pytest.raises(ValueError, match="catalog.schema.model"):
        PendingValidationTrigger("main.churn")
    with pytest.raises(ValueError, match="positive integer"):
        approval_sensor("main.churn.m", "latest").execute(make_context())
    with pytest.raises(ValueError, match="lookback_versions"):
        pending_sensor("main.churn.m", lookback_versions=-1)


def test_a_model_not_registered_yet_is_waited_for(uc_model):
    assert not pending_sensor(uc_model.full_name + "_later").poke(make_context()).is_done


def test_approval_poke_waits_for_a_decision_then_returns_it(proxied, uc_model):
    one = uc_model.add_version({"approval": "Pending"})
    task = approval_sensor(uc_model.full_name, str(one))
    proxied.reset()
    assert not task.poke(make_context()).is_done
    assert proxied.total() == 1
    hook = UnityCatalogModelsHook()
    hook.set_version_tag(uc_model.full_name, one, "approved_by", "ana@example.com")
    hook.set_version_tag(uc_model.full_name, one, "approval", "Approved")
    assert task.poke(make_context()).xcom_value == {
        "approved": True,
        "by": "ana@example.com",
        "source": "uc_tag",
        "model_name": uc_model.full_name,
        "version": str(one),
        "tag_key": "approval",
        "tag_value": "Approved",
    }


async def test_deferred_approval_resumes_with_a_rejection(uc_model):
    one = uc_model.add_version()
    context = make_context()
    task = approval_sensor(uc_model.full_name, one, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        await asyncio.to_thread(task.execute, context)
    assert isinstance(deferred.value.trigger, ApprovalTagTrigger)
    await asyncio.to_thread(UnityCatalogModelsHook().set_version_tag, uc_model.full_name, one, "approval", "Rejected")
    decision = task.execute_complete(context, await next_event(deferred.value.trigger))
    assert (decision["approved"], decision["by"], decision["version"]) == (False, None, str(one))


async def test_approval_of_a_version_that_does_not_exist_fails_at_once(uc_model):
    trigger = ApprovalTagTrigger(uc_model.full_name, 42, poke_interval=0.1)
    payload = await next_event(trigger)
    assert (payload["status"], payload["error_type"]) == ("error", "RegistryResourceNotFound")
    with pytest.raises(AirflowException, match="approval tag"):
        approval_sensor(uc_model.full_name, 42).execute_complete(make_context(), payload)


async def test_sync_and_async_pokes_make_the_same_requests_over_http(proxied, uc_model):
    for tags in (PASSED, PENDING, {}, PENDING):
        uc_model.add_version(tags)
    hook = UnityCatalogModelsHook()
    seen = []
    for run in ("sync", "async"):
        watch = PendingWatch(lookback_versions=3)
        proxied.reset()
        steps = poke_steps(uc_model.full_name, watch, time.time())
        result = await a_run_steps(hook, steps) if run == "async" else await asyncio.to_thread(run_steps, hook, steps)
        # aiohttp re-encodes the query string (`'` vs `%27`): compare the requests as the server reads them.
        seen.append((result, watch, sorted((method, unquote(path)) for method, path in proxied.requests)))
    assert seen[0] == seen[1]
    assert [e["version"] for e in seen[0][0].events] == ["2", "4"]


def test_a_sensor_or_trigger_missing_a_template_hook_fails_when_built_not_when_it_first_waits():
    from databricks_registry.unity_catalog.sensors import UcWaitSensor
    from databricks_registry.unity_catalog.triggers import UcPollTrigger

    class NoResult(UcWaitSensor):  # forgot `_result`
        def _steps(self):
            yield from ()

        def _trigger(self, **common):
            raise AssertionError("never reached")

    class NoState(UcPollTrigger):  # forgot `_state`
        def _steps(self):
            yield from ()

    with pytest.raises(TypeError, match="_result"):
        NoResult(task_id="wait", full_name="main.churn.model")
    with pytest.raises(TypeError, match="_state"):
        NoState("main.churn.model")
