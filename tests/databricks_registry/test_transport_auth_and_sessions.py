"""The transport around the registry call itself: the provider's token fetch (OAuth service principal) is retried
like the provider would even for a write, because the write was not sent yet; a token that cannot be had is an
error that says the request was not sent; concurrent async calls on one hook do not close each other's session;
and the provider's DEBUG line with the request headers (Azure's management token) is redacted."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from registry_setup import create_model, create_version

from databricks_registry.errors import RegistryOutcomeUnknown, RegistryUnavailable
from databricks_registry.hooks import ModelRegistryHook


class TokenEndpoint:
    """An OAuth token endpoint that fails `failures` times with 503, then issues `token`."""

    def __init__(self, token: str, failures: int) -> None:
        self.token, self.failures, self.requests = token, failures, 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                endpoint.requests += 1
                if endpoint.requests <= endpoint.failures:
                    status, body = 503, {"error": "temporarily_unavailable"}
                else:
                    status, body = 200, {"access_token": endpoint.token, "token_type": "Bearer", "expires_in": 3600}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/oidc/v1/token"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def oauth_hook(databricks_env, monkeypatch):
    """A hook on an OAuth service-principal connection whose token endpoint is a `TokenEndpoint` (issuing the
    workspace's token, so the registry accepts it)."""
    made: list[TokenEndpoint] = []

    def make(failures: int) -> tuple[ModelRegistryHook, TokenEndpoint]:
        endpoint = TokenEndpoint(databricks_env.token, failures)
        made.append(endpoint)
        conn = {
            "conn_type": "databricks",
            "host": databricks_env.host,
            "port": databricks_env.port,
            "schema": "http",
            "login": "client-id",
            "password": "client-secret",
            "extra": {"service_principal_oauth": True},
        }
        monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_SP", json.dumps(conn))
        hook = ModelRegistryHook(databricks_conn_id="databricks_sp", retry_limit=3, retry_delay=0.01)
        # The provider builds the OIDC URL as https://<host>/oidc/v1/token; the stand-in speaks plain HTTP.
        monkeypatch.setattr(hook, "_get_oidc_token_service_url", lambda: endpoint.url)
        return hook, endpoint

    yield make
    for endpoint in made:
        endpoint.close()


def test_a_write_survives_a_transient_token_endpoint_failure(oauth_hook, model_name):
    hook, endpoint = oauth_hook(failures=1)
    create_model(ModelRegistryHook(), model_name)
    version = create_version(ModelRegistryHook(), model_name, "dbfs:/m")
    comment = hook.create_comment(model_name, version, "tested")
    assert comment.comment == "tested" and endpoint.requests == 2  # the token request was repeated, once


def test_a_write_without_a_token_says_it_was_not_sent(oauth_hook, model_name, databricks_env):
    hook, endpoint = oauth_hook(failures=100)
    create_model(ModelRegistryHook(), model_name)
    version = create_version(ModelRegistryHook(), model_name, "dbfs:/m")
    with pytest.raises(RegistryUnavailable) as raised:
        hook.create_comment(model_name, version, "tested")
    # Not "outcome unknown": the registry never saw the request, so the caller may simply try again later.
    assert not isinstance(raised.value, RegistryOutcomeUnknown)
    assert "access token" in str(raised.value) and "not sent" in str(raised.value)
    assert endpoint.requests == 3
    assert ModelRegistryHook().get_model_version(model_name, version).version == version


def test_concurrent_async_calls_outside_async_with_share_one_session(databricks_env, model_name):
    setup = ModelRegistryHook()
    create_model(setup, model_name)
    versions = [create_version(setup, model_name, f"dbfs:/m{i}") for i in range(4)]
    hook = ModelRegistryHook()

    async def read_all():
        return await asyncio.gather(*(hook.a_get_model_version(model_name, v) for v in versions))

    found = asyncio.run(read_all())
    assert [mv.version for mv in found] == versions
    assert getattr(hook, "_session", None) is None  # the last call closed the session it opened


def test_request_headers_never_reach_the_debug_log(databricks_env, model_name, monkeypatch):
    hook = ModelRegistryHook()
    create_model(hook, model_name)
    # An Azure AD connection adds the management token to every request's headers.
    monkeypatch.setattr(hook, "_get_aad_headers", lambda: {"X-Databricks-Azure-SP-Management-Token": "mgmt-secret"})
    logged: list[tuple] = []

    class Recorder:
        def debug(self, msg, *args, **kwargs):
            logged.append((msg, *args))

        def __getattr__(self, name):
            return lambda *a, **k: None

    monkeypatch.setattr(hook.log, "_log", Recorder())
    assert hook.get_registered_model(model_name).name == model_name
    requests_logged = [entry for entry in logged if str(entry[0]).startswith("Initiating")]
    assert requests_logged and "registered-models/get" in str(requests_logged)
    assert "mgmt-secret" not in repr(logged)
