"""HTTP transport for registry calls on top of the provider's `BaseDatabricksHook`.

The provider's `_do_api_call` sends no parameters for DELETE, and its async twin sends GET parameters as a JSON
body and has no DELETE at all. This mixin keeps everything else of the provider — connection lookup (also in the
triggerer), every auth method (PAT, OAuth service principal, Azure AD, federation), proxies, the user agent and
the tenacity retry policy (429, 5xx, connection errors, timeouts) — and only replaces how a request is sent:
query parameters for GET/DELETE, a JSON body for POST/PATCH, and typed errors built from Databricks JSON errors.
Tokens travel in the auth object, never in a logged value.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import requests
from requests import exceptions as requests_exceptions
from requests.auth import HTTPBasicAuth
from tenacity import RetryError

from airflow.providers.databricks.hooks.databricks_base import BaseDatabricksHook, BearerAuth, _TokenAuth

from databricks_registry.errors import RegistryError, RegistryUnavailable, error_from_response

Endpoint = tuple[str, str]
_BODY_METHODS = ("POST", "PATCH")
_METHODS = ("GET", "POST", "PATCH", "DELETE")


def query_params(params: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Encode parameters as a query string the way Databricks expects: lists repeat the key, bools are lowercase."""
    items: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is None:
                continue
            items.append((key, ("true" if item else "false") if isinstance(item, bool) else str(item)))
    return items


class _RetryableStatus(aiohttp.ClientResponseError):
    """An async 429/5xx answer; subclassing ClientResponseError makes the provider's retry predicate retry it."""

    def __init__(self, response: aiohttp.ClientResponse, body: str) -> None:
        super().__init__(response.request_info, response.history, status=response.status, message=body[:200])
        self.body = body


def _is_lock_contention(status: int, body: str) -> bool:
    # The provider also retries 400 COULD_NOT_ACQUIRE_LOCK; keep that on the async path too.
    return status == 400 and "COULD_NOT_ACQUIRE_LOCK" in body


class RegistryTransportMixin(BaseDatabricksHook):
    """Sync and async request paths sharing the provider's auth and retry logic."""

    def _check_endpoint(self, endpoint: Endpoint) -> tuple[str, str]:
        method, path = endpoint
        if method not in _METHODS:
            raise ValueError(f"Unexpected HTTP method {method!r} for {path}")
        return method, self._endpoint_url(f"api/{path}")

    def _give_up(self, endpoint: Endpoint, error: RetryError) -> RegistryError:
        last = error.last_attempt.exception()
        where = f"{endpoint[0]} {endpoint[1]}"
        prefix = f"Gave up after {self.retry_limit} attempts"
        if isinstance(last, requests_exceptions.HTTPError) and last.response is not None:
            typed = error_from_response(last.response.status_code, last.response.content, where)
        elif isinstance(last, _RetryableStatus):
            typed = error_from_response(last.status, last.body, where)
        else:
            return RegistryUnavailable(f"{prefix}: {type(last).__name__}: {last}", endpoint=where)
        return type(typed)(
            f"{prefix}: {typed.message}",
            http_status_code=typed.http_status_code,
            error_code=typed.error_code,
            endpoint=where,
        )

    def call(self, endpoint: Endpoint, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one registry request (with the provider's retries); return the JSON answer or raise RegistryError."""
        method, url = self._check_endpoint(endpoint)
        headers = {**self.user_agent_header, **self._get_aad_headers()}
        token = self._get_token()
        auth = _TokenAuth(token) if token else HTTPBasicAuth(
            self._get_connection_attr("login"), self.databricks_conn.password
        )
        kwargs: dict[str, Any] = (
            {"json": params or {}} if method in _BODY_METHODS else {"params": query_params(params)}
        )
        try:
            for attempt in self._get_retry_object():
                with attempt:
                    self.log.debug("Registry call %s %s", method, endpoint[1])
                    response = requests.request(
                        method, url, auth=auth, headers=headers, timeout=self.timeout_seconds,
                        **kwargs, **self._get_requests_kwargs(),
                    )
                    if response.status_code >= 500 or response.status_code == 429 or _is_lock_contention(
                        response.status_code, response.text
                    ):
                        response.raise_for_status()  # HTTPError: the provider's predicate decides to retry
                    break
        except RetryError as e:
            raise self._give_up(endpoint, e) from e
        except requests_exceptions.RequestException as e:
            raise RegistryUnavailable(f"{type(e).__name__}: {e}", endpoint=f"{method} {endpoint[1]}") from e
        return self._parse(endpoint, response.status_code, response.text)

    def _parse(self, endpoint: Endpoint, status: int, text: str) -> dict[str, Any]:
        where = f"{endpoint[0]} {endpoint[1]}"
        if status >= 400:
            raise error_from_response(status, text, where)
        if not text.strip():
            return {}
        try:
            body = json.loads(text)
        except ValueError as e:
            raise error_from_response(status, text, where) from e
        if not isinstance(body, dict):
            raise RegistryError(f"Expected a JSON object, got {type(body).__name__}", endpoint=where)
        return body

    async def a_call(self, endpoint: Endpoint, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Async twin of `call`: query parameters for GET/DELETE, JSON body for POST/PATCH, same retries."""
        await self._a_cache_databricks_conn()
        method, url = self._check_endpoint(endpoint)
        headers = {**self.user_agent_header, **(await self._a_get_aad_headers())}
        token = await self._a_get_token()
        auth = BearerAuth(token) if token else aiohttp.BasicAuth(
            self._get_connection_attr("login"), self.databricks_conn.password
        )
        kwargs: dict[str, Any] = (
            {"json": params or {}} if method in _BODY_METHODS else {"params": query_params(params)}
        )
        session: aiohttp.ClientSession | None = getattr(self, "_session", None)
        own_session = session is None or session.closed
        if own_session:
            session = aiohttp.ClientSession()
        try:
            async for attempt in self._a_get_retry_object():
                with attempt:
                    self.log.debug("Registry call %s %s", method, endpoint[1])
                    async with session.request(
                        method, url, auth=auth, headers=headers,
                        timeout=aiohttp.ClientTimeout(total=self.timeout_seconds),
                        **kwargs, **self._get_aiohttp_kwargs(url),
                    ) as response:
                        status, text = response.status, await response.text()
                        if status >= 500 or status == 429:
                            raise _RetryableStatus(response, text)
        except RetryError as e:
            raise self._give_up(endpoint, e) from e
        except aiohttp.ClientError as e:
            raise RegistryUnavailable(f"{type(e).__name__}: {e}", endpoint=f"{method} {endpoint[1]}") from e
        finally:
            if own_session:
                await session.close()
        return self._parse(endpoint, status, text)
