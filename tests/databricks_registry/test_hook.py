"""ModelRegistryHook against the started local workspace (real HTTP); the trigger's reads sync and async."""

from __future__ import annotations

import inspect
import logging

import pytest
from registry_setup import move_to_stage

from databricks_registry.entities import Activity, Comment, ModelVersion, RegisteredModel, TransitionRequest
from databricks_registry.errors import (
    RegistryInvalidParameter,
    RegistryResourceNotFound,
    RegistryUnauthenticated,
    RegistryUnavailable,
)
from databricks_registry.hooks import ModelRegistryHook

MODES = ["sync", "async"]


async def call(hook: ModelRegistryHook, mode: str, method: str, *args, **kwargs):
    if mode == "sync":
        return getattr(hook, method)(*args, **kwargs)
    return await getattr(hook, f"a_{method}")(*args, **kwargs)


def fast_hook(**kwargs) -> ModelRegistryHook:
    from tenacity import stop_after_attempt, wait_none

    return ModelRegistryHook(retry_limit=3, retry_args={"stop": stop_after_attempt(3), "wait": wait_none()}, **kwargs)


def test_the_triggers_reads_have_async_twins_and_writes_stay_sync():
    public = {n for n in vars(ModelRegistryHook) if not n.startswith("_") and callable(getattr(ModelRegistryHook, n))}
    for name in ("get_registered_model", "list_transition_requests", "get_model_version"):
        assert inspect.iscoroutinefunction(getattr(ModelRegistryHook, f"a_{name}")), name
    writes = {n for n in public if n.startswith(("create_", "approve_", "reject_", "cancel_", "set_"))}
    assert writes and not {f"a_{n}" for n in writes} & public


@pytest.mark.parametrize("mode", MODES)
async def test_request_approve_lifecycle_archives_previous(mode, registered, model_name):
    hook = ModelRegistryHook()
    v1, v2 = registered(2)
    move_to_stage(hook, model_name, v1, "Staging")
    request = hook.create_transition_request(model_name, v2, "Staging", "please test")
    assert isinstance(request, TransitionRequest)
    assert (request.to_stage, request.comment) == ("Staging", "please test")
    assert request.user_id and request.creation_timestamp

    open_requests = await call(hook, mode, "list_transition_requests", model_name, v2)
    assert [(a.activity_type, a.to_stage, a.comment) for a in open_requests] == [
        ("REQUESTED_TRANSITION", "Staging", "please test")
    ]
    assert isinstance(open_requests[0], Activity)

    activity = hook.approve_transition_request(model_name, v2, "Staging", True, "approved")
    assert (activity.activity_type, activity.to_stage) == ("APPROVED_REQUEST", "Staging")
    assert await call(hook, mode, "list_transition_requests", model_name, v2) == []
    assert (await call(hook, mode, "get_model_version", model_name, v2)).current_stage == "Staging"
    assert (await call(hook, mode, "get_model_version", model_name, v1)).current_stage == "Archived"


def test_reject_and_cancel(registered, model_name, databricks_env):
    hook = ModelRegistryHook()
    (v1,) = registered(1)
    hook.create_transition_request(model_name, v1, "Staging")
    rejected = hook.reject_transition_request(model_name, v1, "Staging", "no")
    assert (rejected.activity_type, rejected.comment) == ("REJECTED_REQUEST", "no")
    assert hook.get_model_version(model_name, v1).current_stage == "None"

    request = hook.create_transition_request(model_name, v1, "Production")
    cancelled = hook.cancel_transition_request(model_name, v1, "Production", request.user_id)
    assert cancelled.activity_type == "CANCELLED_REQUEST"
    assert hook.list_transition_requests(model_name, v1) == []


def test_comment_keeps_markdown(registered, model_name):
    (v1,) = registered(1)
    created = ModelRegistryHook().create_comment(model_name, v1, "**report**\nline two")
    assert isinstance(created, Comment) and created.id and created.comment == "**report**\nline two"


@pytest.mark.parametrize("mode", MODES)
async def test_get_registered_model_and_tags(mode, registered, model_name):
    hook = ModelRegistryHook()
    versions = registered(3)
    mv = await call(hook, mode, "get_model_version", model_name, versions[0])
    assert isinstance(mv, ModelVersion) and (mv.name, mv.version, mv.current_stage) == (model_name, "1", "None")

    hook.set_model_version_tag(model_name, versions[1], "checked", "yes")
    assert (await call(hook, mode, "get_model_version", model_name, versions[1])).tags["checked"] == "yes"

    move_to_stage(hook, model_name, versions[2], "Production")
    model = await call(hook, mode, "get_registered_model", model_name)
    assert isinstance(model, RegisteredModel) and model.name == model_name
    assert model.newest_version == 3
    assert {v.current_stage for v in model.latest_versions} == {"None", "Production"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("odd_name", ["with spaces and 'quotes'", 'dbl "quoted" ü模型 ✓', "percent% amp&q?=#"])
async def test_odd_model_names_round_trip(mode, odd_name, registered, model_name):
    name = f"{odd_name} {model_name}"
    hook = ModelRegistryHook()
    (v1,) = registered(1, name=name)
    hook.create_transition_request(name, v1, "Staging", "ü comment 'q'")
    [activity] = await call(hook, mode, "list_transition_requests", name, v1)
    assert activity.comment == "ü comment 'q'"
    assert (await call(hook, mode, "get_model_version", name, v1)).name == name
    assert (await call(hook, mode, "get_registered_model", name)).name == name


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "http://local-workspace:8799"),
        ({"workspace_ui_url": "http://localhost:18799/"}, "http://localhost:18799"),
    ],
)
def test_links_use_the_connection_ui_url_when_airflow_calls_another_host(monkeypatch, extra, expected):
    import json

    conn = {
        "conn_type": "databricks",
        "host": "local-workspace",
        "port": 8799,
        "schema": "http",
        "password": "t",
        "extra": extra,
    }
    monkeypatch.setenv("AIRFLOW_CONN_LINKS_TEST", json.dumps(conn))
    assert ModelRegistryHook("links_test").workspace_url() == expected


def test_a_ui_url_that_is_not_http_is_refused(monkeypatch):
    import json

    conn = {"conn_type": "databricks", "host": "h", "password": "t", "extra": {"workspace_ui_url": "javascript:x"}}
    monkeypatch.setenv("AIRFLOW_CONN_LINKS_TEST", json.dumps(conn))
    with pytest.raises(ValueError, match="workspace_ui_url"):
        ModelRegistryHook("links_test").workspace_url()


@pytest.mark.parametrize("mode", MODES)
async def test_typed_errors_carry_status_and_code(mode, registered, model_name):
    hook = ModelRegistryHook()
    (v1,) = registered(1)
    with pytest.raises(RegistryResourceNotFound) as not_found:
        await call(hook, mode, "get_model_version", model_name, 999)
    assert (not_found.value.http_status_code, not_found.value.error_code) == (404, "RESOURCE_DOES_NOT_EXIST")
    from databricks_registry import endpoints as ep

    params = {"name": model_name, "version": v1, "stage": "Bogus"}
    with pytest.raises(RegistryInvalidParameter) as invalid:  # the hook refuses bad stages; go around it
        if mode == "sync":
            hook.call(ep.CREATE_TRANSITION_REQUEST, params)
        else:
            await hook.a_call(ep.CREATE_TRANSITION_REQUEST, params)
    assert (invalid.value.http_status_code, invalid.value.error_code) == (400, "INVALID_PARAMETER_VALUE")
    with pytest.raises(RegistryResourceNotFound):
        await call(hook, mode, "get_registered_model", f"missing {model_name}")


@pytest.mark.parametrize("mode", MODES)
async def test_bad_input_is_refused_before_any_call(mode, proxied, model_name):
    hook = ModelRegistryHook()
    for args in [(model_name, "1", "Stagin"), (model_name, "one", "Staging"), ("", "1", "Staging")]:
        with pytest.raises(ValueError):
            hook.create_transition_request(*args)
    with pytest.raises(ValueError):
        hook.approve_transition_request(model_name, "1", "Staging", "yes")
    for args in [(model_name, "one"), ("", "1"), (model_name, 0)]:
        with pytest.raises(ValueError):
            await call(hook, mode, "get_model_version", *args)
    assert proxied.total() == 0


@pytest.mark.parametrize("mode", MODES)
async def test_wrong_token_is_unauthenticated_and_token_never_logged(mode, databricks_env, monkeypatch, caplog):
    import json

    bad = "not-the-token-" + "x" * 8
    conn = json.loads(databricks_env.airflow_connection_json())
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_DEFAULT", json.dumps({**conn, "password": bad}))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RegistryUnauthenticated) as err:
        await call(ModelRegistryHook(), mode, "get_registered_model", "anything")
    assert err.value.http_status_code == 401
    assert bad not in caplog.text and databricks_env.token not in caplog.text


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [429, 503])
async def test_transient_errors_are_retried(mode, status, proxied, registered, model_name):
    (v1,) = registered(1)
    proxied.reset()
    proxied.inject(status, times=2, path_contains="transition-requests/list")
    assert await call(fast_hook(), mode, "list_transition_requests", model_name, v1) == []
    assert proxied.total("transition-requests/list") == 3


@pytest.mark.parametrize("mode", MODES)
async def test_retries_are_bounded_then_typed_error(mode, proxied, registered, model_name):
    (v1,) = registered(1)
    proxied.reset()
    proxied.inject(503, times=10, path_contains="model-versions/get")
    with pytest.raises(RegistryUnavailable) as err:
        await call(fast_hook(), mode, "get_model_version", model_name, v1)
    assert err.value.http_status_code == 503 and "3 attempts" in str(err.value)
    assert proxied.total("model-versions/get") == 3


@pytest.mark.parametrize("mode", MODES)
async def test_get_sends_query_parameters_and_no_body(mode, proxied, registered, model_name):
    """The provider's async path would send GET parameters as a JSON body, which Databricks ignores."""
    (v1,) = registered(1)
    proxied.reset()
    assert await call(ModelRegistryHook(), mode, "list_transition_requests", model_name, v1) == []
    [(method, path)] = proxied.requests
    assert method == "GET" and f"version={v1}" in path and "name=" in path


def test_delete_sends_query_parameters(proxied, registered, model_name):
    """The provider sends no parameters with DELETE at all."""
    (v1,) = registered(1)
    hook = ModelRegistryHook()
    request = hook.create_transition_request(model_name, v1, "Staging")
    proxied.reset()
    hook.cancel_transition_request(model_name, v1, "Staging", request.user_id)
    [(method, path)] = proxied.requests
    assert method == "DELETE" and "creator=" in path and "stage=Staging" in path


async def test_async_delete_is_refused_clearly(proxied):
    from databricks_registry import endpoints as ep

    with pytest.raises(ValueError, match="async path cannot send DELETE"):
        await ModelRegistryHook().a_call(ep.DELETE_COMMENT, {"id": "1"})
    assert proxied.total() == 0
