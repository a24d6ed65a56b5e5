"""HTTP transport for registry calls on top of the provider's `BaseDatabricksHook`.

The provider's `_do_api_call` sends no parameters for DELETE, and its async twin sends GET parameters as a JSON
body and has no DELETE at all. This mixin keeps everything else of the provider — connection lookup (also in the
triggerer), every auth method (PAT, OAuth service principal, Azure AD, federation), proxies, the user agent and
the tenacity stop/wait/logging policy — and replaces how a request is sent (query parameters for GET/DELETE, a JSON
body for POST/PATCH), which failures are retried, and the typed errors built from Databricks JSON errors.

Retries (sync and async alike, one rule `should_retry`): 429 and 400 COULD_NOT_ACQUIRE_LOCK (refused, so never
applied) and failures to connect are retried for every call; 5xx, resets and timeouts only for idempotent calls
(`endpoints.is_idempotent`). A non-idempotent write that fails that way raises `RegistryOutcomeUnknown`: the caller
looks at the registry before writing again. Tokens travel in the auth object, never in a logged value.
"""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import Any

import aiohttp
import requests
from airflow.providers.databricks.hooks.databricks_base import BaseDatabricksHook, BearerAuth, _TokenAuth
from requests import exceptions as requests_exceptions
from requests.auth import HTTPBasicAuth
from tenacity import AsyncRetrying, RetryError, Retrying, retry_if_exception
from urllib3.exceptions import NewConnectionError

from databricks_registry.endpoints import is_idempotent
from databricks_registry.errors import (
    RegistryError,
    RegistryOutcomeUnknown,
    RegistryResponseError,
    RegistryUnavailable,
    error_from_response,
)

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


class _ErrorAnswer(Exception):
    """A 429 / 5xx / lock-contention answer, raised inside the retry loop by the sync and async paths alike."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status, self.body = status, body

    @property
    def refused(self) -> bool:
        """The workspace turned the request away without applying it (rate limit, registry lock contention)."""
        return self.status == 429 or (self.status == 400 and "COULD_NOT_ACQUIRE_LOCK" in self.body)


def _not_sent(error: BaseException) -> bool:
    """The connection was never made, so the request cannot have reached the workspace."""
    # aiohttp raises ConnectionTimeoutError only when opening the connection timed out (requests: ConnectTimeout).
    if isinstance(
        error, (requests_exceptions.ConnectTimeout, aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
    ):
        return True
    if isinstance(error, requests_exceptions.ConnectionError) and error.args:
        return isinstance(getattr(error.args[0], "reason", None), NewConnectionError)
    return False


def should_retry(error: BaseException, idempotent: bool) -> bool:
    """One retry rule for both paths: refused or never sent -> retry; 5xx, reset, timeout -> only if idempotent."""
    if isinstance(error, _ErrorAnswer):
        return error.refused or (idempotent and error.status >= 500)
    if _not_sent(error):
        return True
    if isinstance(
        error,
        (requests_exceptions.ConnectionError, requests_exceptions.Timeout, aiohttp.ClientError, asyncio.TimeoutError),
    ):
        return idempotent
    return False


def _raise_for_retry_decision(status: int, text: str) -> None:
    answer = _ErrorAnswer(status, text)
    if status >= 500 or answer.refused:
        raise answer  # should_retry decides; other answers are parsed into typed errors


class RegistryTransportMixin(BaseDatabricksHook):
    """Sync and async request paths sharing the provider's auth and retry logic."""

    def _check_endpoint(self, endpoint: Endpoint) -> tuple[str, str]:
        method, path = endpoint
        if method not in _METHODS:
            raise ValueError(f"Unexpected HTTP method {method!r} for {path}")
        return method, self._endpoint_url(f"api/{path}")

    def _retrying(self, endpoint: Endpoint, is_async: bool = False) -> Retrying | AsyncRetrying:
        # The provider's stop/wait/logging (or the caller's retry_args), with a retry rule that knows the endpoint.
        rule = partial(should_retry, idempotent=is_idempotent(endpoint))
        args = {**self.retry_args, "retry": retry_if_exception(rule)}
        return AsyncRetrying(**args) if is_async else Retrying(**args)

    def _failure(self, endpoint: Endpoint, error: BaseException, attempts: int = 1) -> RegistryError:
        """The typed error for a failed call; a write that may have been applied gives RegistryOutcomeUnknown."""
        where = f"{endpoint[0]} {endpoint[1]}"
        prefix = f"Gave up after {attempts} attempts: " if attempts > 1 else ""
        idempotent = is_idempotent(endpoint)
        if isinstance(error, _ErrorAnswer):
            typed = error_from_response(error.status, error.body, where)
            cls = RegistryOutcomeUnknown if error.status >= 500 and not idempotent else type(typed)
            return cls(
                f"{prefix}{typed.message}",
                http_status_code=typed.http_status_code,
                error_code=typed.error_code,
                endpoint=where,
            )
        cls = RegistryUnavailable if idempotent or _not_sent(error) else RegistryOutcomeUnknown
        return cls(f"{prefix}{type(error).__name__}: {error}", endpoint=where)

    def call(self, endpoint: Endpoint, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one registry request (with the provider's retries); return the JSON answer or raise RegistryError."""
        method, url = self._check_endpoint(endpoint)
        headers = {**self.user_agent_header, **self._get_aad_headers()}
        token = self._get_token()
        auth = (
            _TokenAuth(token)
            if token
            else HTTPBasicAuth(self._get_connection_attr("login"), self.databricks_conn.password)
        )
        kwargs: dict[str, Any] = {"json": params or {}} if method in _BODY_METHODS else {"params": query_params(params)}
        try:
            for attempt in self._retrying(endpoint):
                with attempt:
                    self.log.debug("Registry call %s %s", method, endpoint[1])
                    response = requests.request(
                        method,
                        url,
                        auth=auth,
                        headers=headers,
                        timeout=self.timeout_seconds,
                        **kwargs,
                        **self._get_requests_kwargs(),
                    )
                    status, text = response.status_code, response.text
                    _raise_for_retry_decision(status, text)
        except RetryError as e:
            raise self._failure(endpoint, e.last_attempt.exception(), e.last_attempt.attempt_number) from e
        except (_ErrorAnswer, requests_exceptions.RequestException) as e:
            raise self._failure(endpoint, e) from e
        return self._parse(endpoint, status, text)

    def _parse(self, endpoint: Endpoint, status: int, text: str) -> dict[str, Any]:
        where = f"{endpoint[0]} {endpoint[1]}"
        if status >= 400:
            raise error_from_response(status, text, where)
        if not text.strip():
            return {}
        try:
            body = json.loads(text)
        except ValueError as e:  # a 2xx: the call was applied, only its answer is unreadable
            raise RegistryResponseError(
                f"Answer is not JSON: {text.strip()[:200]!r}", http_status_code=status, endpoint=where
            ) from e
        if not isinstance(body, dict):
            raise RegistryResponseError(
                f"Expected a JSON object, got {type(body).__name__}", http_status_code=status, endpoint=where
            )
        return body

    async def a_call(self, endpoint: Endpoint, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Async twin of `call`: query parameters for GET/DELETE, JSON body for POST/PATCH, same retries."""
        await self._a_cache_databricks_conn()
        method, url = self._check_endpoint(endpoint)
        headers = {**self.user_agent_header, **(await self._a_get_aad_headers())}
        token = await self._a_get_token()
        auth = (
            BearerAuth(token)
            if token
            else aiohttp.BasicAuth(self._get_connection_attr("login"), self.databricks_conn.password)
        )
        kwargs: dict[str, Any] = {"json": params or {}} if method in _BODY_METHODS else {"params": query_params(params)}
        session: aiohttp.ClientSession | None = getattr(self, "_session", None)
        own_session = session is None or session.closed
        if own_session:
            session = aiohttp.ClientSession()
        try:
            async for attempt in self._retrying(endpoint, is_async=True):
                with attempt:
                    self.log.debug("Registry call %s %s", method, endpoint[1])
                    async with session.request(
                        method,
                        url,
                        auth=auth,
                        headers=headers,
                        timeout=aiohttp.ClientTimeout(total=self.timeout_seconds),
                        **kwargs,
                        **self._get_aiohttp_kwargs(url),
                    ) as response:
                        status, text = response.status, await response.text()
                    _raise_for_retry_decision(status, text)
        except RetryError as e:
            raise self._failure(endpoint, e.last_attempt.exception(), e.last_attempt.attempt_number) from e
        except (TimeoutError, _ErrorAnswer, aiohttp.ClientError) as e:
            raise self._failure(endpoint, e) from e
        finally:
            if own_session:
                await session.close()
        return self._parse(endpoint, status, text)
