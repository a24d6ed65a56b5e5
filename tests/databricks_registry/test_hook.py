"""ModelRegistryHook against the started local workspace (real HTTP), every method sync and async."""

from __future__ import annotations

import inspect
import logging

import pytest

from databricks_registry.entities import Activity, Comment, ModelVersion, RegisteredModel, TransitionRequest
from databricks_registry.errors import (
    RegistryInvalidParameter,
    RegistryResourceNotFound,
    RegistryUnauthenticated,
    RegistryUnavailable,
)
from databricks_registry.hooks import ModelRegistryHook, name_filter

MODES = ["sync", "async"]


async def call(hook: ModelRegistryHook, mode: str, method: str, *args, **kwargs):
    if mode == "sync":
        return getattr(hook, method)(*args, **kwargs)
    return await getattr(hook, f"a_{method}")(*args, **kwargs)


def fast_hook(**kwargs) -> ModelRegistryHook:
    from tenacity import stop_after_attempt, wait_none

    return ModelRegistryHook(retry_limit=3, retry_args={"stop": stop_after_attempt(3), "wait": wait_none()}, **kwargs)


def test_every_public_method_has_an_async_twin():
    public = [
        n
        for n, f in inspect.getmembers(ModelRegistryHook, inspect.isfunction)
        if not n.startswith("_")
        and not n.startswith("a_")
        and n not in ("call", "workspace_url")
        and n in ModelRegistryHook.__dict__
    ]
    assert len(public) >= 13
    for name in public:
        assert inspect.iscoroutinefunction(getattr(ModelRegistryHook, f"a_{name}")), name


@pytest.mark.parametrize("mode", MODES)
async def test_request_approve_lifecycle_archives_previous(mode, registered, model_name):
    hook = ModelRegistryHook()
    v1, v2 = registered(2)
    await call(hook, mode, "transition_stage", model_name, v1, "Staging", False)
    request = await call(hook, mode, "create_transition_request", model_name, v2, "Staging", "please test")
    assert isinstance(request, TransitionRequest)
    assert (request.to_stage, request.comment) == ("Staging", "please test")
    assert request.user_id and request.creation_timestamp

    open_requests = await call(hook, mode, "list_transition_requests", model_name, v2)
    assert [(a.activity_type, a.to_stage, a.comment) for a in open_requests] == [
        ("REQUESTED_TRANSITION", "Staging", "please test")
    ]
    assert isinstance(open_requests[0], Activity)

    activity = await call(hook, mode, "approve_transition_request", model_name, v2, "Staging", True, "approved")
    assert (activity.activity_type, activity.to_stage) == ("APPROVED_REQUEST", "Staging")
    assert await call(hook, mode, "list_transition_requests", model_name, v2) == []
    assert (await call(hook, mode, "get_model_version", model_name, v2)).current_stage == "Staging"
    assert (await call(hook, mode, "get_model_version", model_name, v1)).current_stage == "Archived"


@pytest.mark.parametrize("mode", MODES)
async def test_reject_and_cancel(mode, registered, model_name, databricks_env):
    hook = ModelRegistryHook()
    (v1,) = registered(1)
    await call(hook, mode, "create_transition_request", model_name, v1, "Staging")
    rejected = await call(hook, mode, "reject_transition_request", model_name, v1, "Staging", "no")
    assert (rejected.activity_type, rejected.comment) == ("REJECTED_REQUEST", "no")
    assert (await call(hook, mode, "get_model_version", model_name, v1)).current_stage == "None"

    request = await call(hook, mode, "create_transition_request", model_name, v1, "Production")
    cancelled = await call(hook, mode, "cancel_transition_request", model_name, v1, "Production", request.user_id)
    assert cancelled.activity_type == "CANCELLED_REQUEST"
    assert await call(hook, mode, "list_transition_requests", model_name, v1) == []


@pytest.mark.parametrize("mode", MODES)
async def test_comments_create_update_delete(mode, registered, model_name):
    hook = ModelRegistryHook()
    (v1,) = registered(1)
    created = await call(hook, mode, "create_comment", model_name, v1, "**report**\nline two")
    assert isinstance(created, Comment) and created.id and created.comment == "**report**\nline two"
    updated = await call(hook, mode, "update_comment", created.id, "edited")
    assert (updated.id, updated.comment) == (created.id, "edited")
    assert await call(hook, mode, "delete_comment", created.id) is None
    with pytest.raises(RegistryResourceNotFound):
        await call(hook, mode, "update_comment", created.id, "gone")


@pytest.mark.parametrize("mode", MODES)
async def test_get_search_registered_model_and_tags(mode, registered, model_name):
    hook = ModelRegistryHook()
    versions = registered(3)
    mv = await call(hook, mode, "get_model_version", model_name, versions[0])
    assert isinstance(mv, ModelVersion) and (mv.name, mv.version, mv.current_stage) == (model_name, "1", "None")

    page = await call(hook, mode, "search_model_versions", model_name=model_name, max_results=2)
    assert len(page.model_versions) == 2 and page.next_page_token
    rest = await call(
        hook, mode, "search_model_versions", model_name=model_name, max_results=2, page_token=page.next_page_token
    )
    seen = {v.version for v in page.model_versions + rest.model_versions}
    assert seen == set(versions)

    await call(hook, mode, "set_model_version_tag", model_name, versions[1], "checked", "yes")
    assert (await call(hook, mode, "get_model_version", model_name, versions[1])).tags["checked"] == "yes"

    moved = await call(hook, mode, "transition_stage", model_name, versions[2], "Production", False, "direct")
    assert moved.current_stage == "Production"
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
    await call(hook, mode, "create_transition_request", name, v1, "Staging", "ü comment 'q'")
    [activity] = await call(hook, mode, "list_transition_requests", name, v1)
    assert activity.comment == "ü comment 'q'"
    page = await call(hook, mode, "search_model_versions", model_name=name)
    assert [(v.name, v.version) for v in page.model_versions] == [(name, v1)]
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


def test_name_filter_quoting():
    assert name_filter("plain name") == "name='plain name'"
    assert name_filter("O'Brien") == 'name="O\'Brien"'
    assert name_filter("a'b\"c") == "name='a\\'b\"c'"
    with pytest.raises(ValueError):
        name_filter("")


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
            await call(hook, mode, "create_transition_request", *args)
    with pytest.raises(ValueError):
        await call(hook, mode, "approve_transition_request", model_name, "1", "Staging", "yes")
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
async def test_get_and_delete_send_query_parameters(mode, proxied, registered, model_name):
    (v1,) = registered(1)
    hook = ModelRegistryHook()
    request = await call(hook, mode, "create_transition_request", model_name, v1, "Staging")
    proxied.reset()
    await call(hook, mode, "list_transition_requests", model_name, v1)
    await call(hook, mode, "cancel_transition_request", model_name, v1, "Staging", request.user_id)
    (get_method, get_path), (del_method, del_path) = proxied.requests
    assert get_method == "GET" and "version=" in get_path and "name=" in get_path
    assert del_method == "DELETE" and "creator=" in del_path and "stage=Staging" in del_path
