"""The sync and async call paths retry exactly the same failures (real HTTP through the fault-injecting proxy).

Idempotent calls (GETs, set-tag): 429, 5xx, lock contention, resets. Non-idempotent writes (comments/create,
approve, reject, transition-requests/create): only what was certainly not applied (429, 400 COULD_NOT_ACQUIRE_LOCK);
a 5xx or a reset after sending raises RegistryOutcomeUnknown after exactly one attempt, for the caller to look first.
"""

from __future__ import annotations

import aiohttp
import pytest
import requests
from tenacity import stop_after_attempt, wait_none

from databricks_registry import endpoints as ep
from databricks_registry.errors import (
    RegistryInvalidParameter,
    RegistryOutcomeUnknown,
    RegistryResponseError,
    RegistryUnavailable,
)
from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.transport import _ErrorAnswer, should_retry

MODES = ["sync", "async"]
LOCK = "COULD_NOT_ACQUIRE_LOCK"


def fast_hook() -> ModelRegistryHook:
    return ModelRegistryHook(retry_limit=3, retry_args={"stop": stop_after_attempt(3), "wait": wait_none()})


async def call(mode: str, method: str, *args):
    hook = fast_hook()
    if mode == "sync":
        return getattr(hook, method)(*args)
    return await getattr(hook, f"a_{method}")(*args)


async def send(mode: str, endpoint: tuple[str, str], params: dict):
    """A raw call: the hook's writes are sync only, but the async transport sends writes by the same rule."""
    hook = fast_hook()
    if mode == "sync":
        return hook.call(endpoint, params)
    return await hook.a_call(endpoint, params)


def comment(model_name: str, version: str) -> tuple[tuple[str, str], dict]:
    return ep.CREATE_COMMENT, {"name": model_name, "version": version, "comment": "hello"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status, code", [(429, None), (503, None), (500, "INTERNAL_ERROR"), (400, LOCK)])
async def test_idempotent_reads_retry_transient_errors(mode, status, code, proxied, registered, model_name):
    (v1,) = registered(1)
    proxied.reset()
    proxied.inject(status, times=2, path_contains="transition-requests/list", error_code=code)
    assert await call(mode, "list_transition_requests", model_name, v1) == []
    assert proxied.total("transition-requests/list") == 3


@pytest.mark.parametrize("mode", MODES)
async def test_lock_contention_is_retried_even_for_a_comment(mode, proxied, registered, model_name):
    """Defect 3: the async path did not retry 400 COULD_NOT_ACQUIRE_LOCK (the sync path did)."""
    (v1,) = registered(1)
    proxied.reset()
    proxied.inject(400, times=2, path_contains="comments/create", error_code=LOCK)
    answer = await send(mode, *comment(model_name, v1))
    assert answer["comment"]["comment"] == "hello" and proxied.total("comments/create") == 3


@pytest.mark.parametrize("mode", MODES)
async def test_rate_limited_write_is_retried(mode, proxied, registered, model_name):
    (v1,) = registered(1)
    proxied.reset()
    proxied.inject(429, times=2, path_contains="comments/create")
    await send(mode, *comment(model_name, v1))
    assert proxied.total("comments/create") == 3


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", ["lost", "503", "reset", "lost_reset"])
async def test_ambiguous_write_failure_is_not_retried_blindly(mode, fault, proxied, registered, model_name, workspace):
    """Defect 2's cause: a lost comments/create answer must not be re-sent by the transport."""
    (v1,) = registered(1)
    proxied.reset()
    if fault == "lost":
        proxied.inject_lost_response(3, "comments/create")
    elif fault == "503":
        proxied.inject(503, times=3, path_contains="comments/create")
    else:
        proxied.inject_reset(3, "comments/create", after_forwarding=fault == "lost_reset")
    with pytest.raises(RegistryOutcomeUnknown):
        await send(mode, *comment(model_name, v1))
    assert proxied.total("comments/create") == 1


@pytest.mark.parametrize("mode", MODES)
async def test_reset_on_an_idempotent_write_is_retried(mode, proxied, registered, model_name):
    (v1,) = registered(1)
    proxied.reset()
    proxied.inject_reset(2, "model-versions/set-tag", after_forwarding=True)
    await send(mode, ep.SET_MODEL_VERSION_TAG, {"name": model_name, "version": v1, "key": "k", "value": "v"})
    assert proxied.total("model-versions/set-tag") == 3


@pytest.mark.parametrize("mode", MODES)
async def test_exhausted_retries_give_a_typed_error(mode, proxied, registered, model_name):
    (v1,) = registered(1)
    proxied.reset()
    proxied.inject(429, times=5, path_contains="comments/create")
    with pytest.raises(RegistryUnavailable) as err:
        await send(mode, *comment(model_name, v1))
    assert not isinstance(err.value, RegistryOutcomeUnknown), "a 429 was refused, certainly not applied"
    assert "3 attempts" in str(err.value)
    proxied.reset()
    proxied.inject(400, times=1, path_contains="comments/create", error_code="INVALID_PARAMETER_VALUE")
    with pytest.raises(RegistryInvalidParameter):
        await send(mode, *comment(model_name, v1))
    assert proxied.total("comments/create") == 1


@pytest.mark.parametrize(
    "error, idempotent, expected",
    [
        (_ErrorAnswer(429, "{}"), False, True),
        (_ErrorAnswer(400, f'{{"error_code": "{LOCK}"}}'), False, True),
        (_ErrorAnswer(503, "{}"), False, False),
        (_ErrorAnswer(503, "{}"), True, True),
        (_ErrorAnswer(500, "{}"), True, True),
        (requests.exceptions.ConnectTimeout(), False, True),  # never connected: cannot have been applied
        (aiohttp.ConnectionTimeoutError(), False, True),  # aiohttp's connect timeout: same as requests' ConnectTimeout
        (aiohttp.SocketTimeoutError(), False, False),  # a read timeout: the request may have been applied
        (requests.exceptions.ReadTimeout(), False, False),
        (requests.exceptions.ReadTimeout(), True, True),
        (requests.exceptions.ConnectionError("reset"), False, False),
        (ValueError("bug"), True, False),
    ],
)
def test_retry_rule_table(error, idempotent, expected):
    assert should_retry(error, idempotent) is expected


def test_only_reads_and_same_value_writes_are_idempotent():
    assert ep.is_idempotent(ep.GET_MODEL_VERSION) and ep.is_idempotent(ep.SET_MODEL_VERSION_TAG)
    for write in (
        ep.APPROVE_TRANSITION_REQUEST,
        ep.REJECT_TRANSITION_REQUEST,
        ep.CREATE_COMMENT,
        ep.CREATE_TRANSITION_REQUEST,
        ep.DELETE_TRANSITION_REQUEST,
        ep.TRANSITION_STAGE_DATABRICKS,
    ):
        assert not ep.is_idempotent(write)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", ["comments/create", "transition-requests/list"])
async def test_a_2xx_with_an_unreadable_body_is_a_response_error_and_not_repeated(mode, path, proxied, registered,
                                                                                 model_name):  # fmt: skip
    """Applied (2xx), only the answer is unreadable: never retried, never taken for "not applied"."""
    (v1,) = registered(1)
    proxied.reset()
    proxied.inject(200, times=1, path_contains=path, kind="garbled")
    endpoint, params = comment(model_name, v1)
    if path != "comments/create":
        endpoint, params = ep.LIST_TRANSITION_REQUESTS, {"name": model_name, "version": v1}
    with pytest.raises(RegistryResponseError) as err:
        await send(mode, endpoint, params)
    assert err.value.http_status_code == 200 and proxied.total(path) == 1
