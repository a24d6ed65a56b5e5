"""The registry transport is an adapter over private members of one provider version: fail loudly when it changes.

`plugins/databricks_registry/transport.py` relies on what is pinned here. When the provider is upgraded, a failure
below says what changed; re-check the adapter against README "Upstream fixes for the provider" (the provider may
have fixed a bug the adapter patches, making the patch redundant or wrong), then update the pin.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import socket

import aiohttp
import pytest
from airflow.providers.common.compat.sdk import AirflowException
from airflow.providers.databricks.hooks.databricks_base import BaseDatabricksHook
from tenacity import RetryError, stop_after_attempt, wait_none

PINNED_VERSION = "7.23.0"
RECHECK = (
    "plugins/databricks_registry/transport.py adapts private members of apache-airflow-providers-databricks "
    f"{PINNED_VERSION}; re-check it against README 'Upstream fixes for the provider', then update this pin."
)

# member -> the parameters the adapter passes to or expects from it
PINNED_SIGNATURES = {
    "_do_api_call": ["self", "endpoint_info", "json", "wrap_http_errors"],
    "_a_do_api_call": ["self", "endpoint_info", "json"],
    "_endpoint_url": ["self", "endpoint"],
    "__aenter__": ["self"],
    "__aexit__": ["self", "err"],
}


def test_the_installed_provider_is_the_one_the_adapter_was_written_for():
    installed = importlib.metadata.version("apache-airflow-providers-databricks")
    assert installed == PINNED_VERSION, f"provider {installed} installed. {RECHECK}"


@pytest.mark.parametrize("member", sorted(PINNED_SIGNATURES))
def test_each_private_member_used_still_has_its_signature(member):
    function = getattr(BaseDatabricksHook, member, None)
    assert function is not None, f"BaseDatabricksHook.{member} is gone. {RECHECK}"
    params = list(inspect.signature(function).parameters)
    assert params == PINNED_SIGNATURES[member], f"BaseDatabricksHook.{member}{params} changed. {RECHECK}"


def test_the_retry_rule_is_read_from_retry_args_on_every_call():
    """The adapter swaps `retry_args["retry"]` after construction; the provider must build its retry loops from it."""
    for name in ("_get_retry_object", "_a_get_retry_object"):
        source = inspect.getsource(getattr(BaseDatabricksHook, name))
        assert "**self.retry_args" in source, f"BaseDatabricksHook.{name} no longer uses retry_args. {RECHECK}"


def test_the_bugs_the_adapter_patches_are_still_there():
    """When one of these fails, the provider fixed it: drop that part of the patch (and its README line)."""
    sync_source = inspect.getsource(BaseDatabricksHook._do_api_call)
    async_source = inspect.getsource(BaseDatabricksHook._a_do_api_call)
    assert 'params=json if method == "GET" else None' in sync_source, f"sync DELETE parameters changed. {RECHECK}"
    assert "_session.delete" not in async_source, f"the async path has DELETE now. {RECHECK}"
    assert "json=json," in async_source, f"the async path no longer sends GET parameters as a body. {RECHECK}"
    assert "self._session" in async_source, f"the async path no longer sends through self._session. {RECHECK}"


async def test_async_sessions_are_opened_by_aenter_and_closed_by_aexit():
    hook = BaseDatabricksHook()
    async with hook:
        assert isinstance(hook._session, aiohttp.ClientSession), f"__aenter__ no longer opens _session. {RECHECK}"
    assert hook._session is None, f"__aexit__ no longer resets _session. {RECHECK}"


def test_giving_up_raises_an_airflow_exception_from_the_retry_error(monkeypatch):
    """The adapter reads the last attempt (and its count) from `__cause__` to build its typed error."""
    with socket.socket() as sock:  # a port nobody listens on: every attempt fails to connect
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_PIN_TEST",
        f'{{"conn_type": "databricks", "host": "127.0.0.1", "port": {port}, "schema": "http", "password": "t"}}',
    )
    hook = BaseDatabricksHook("pin_test", retry_args={"stop": stop_after_attempt(2), "wait": wait_none()})
    with pytest.raises(AirflowException) as err:
        hook._do_api_call(("GET", "2.0/mlflow/registered-models/get"), {"name": "x"}, wrap_http_errors=False)
    cause = err.value.__cause__
    assert isinstance(cause, RetryError), f"giving up no longer raises from RetryError. {RECHECK}"
    assert cause.last_attempt.attempt_number == 2
