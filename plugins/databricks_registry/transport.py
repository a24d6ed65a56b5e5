"""A thin adapter over the provider's `_do_api_call` / `_a_do_api_call` for registry calls.

The provider does the connection lookup (also in the triggerer), every auth method (PAT, OAuth service principal,
Azure AD, federation), proxies, the user agent, the URL and the tenacity stop/wait/logging. It gets three things
wrong for the registry (README "Upstream fixes for the provider"), patched here and nowhere else:

* it sends no parameters with DELETE, and its async path sends GET parameters as a JSON body: GET and DELETE
  parameters go into the endpoint's query string instead (the provider sends the URL as given);
* its async path has no DELETE at all: `a_call` refuses DELETE with a clear error (no async caller needs it);
* it retries 5xx, resets and timeouts for every call, and its async path reads no error body (no error code, no
  lock-contention retry): the retry rule is replaced by `should_retry` (through `retry_args`, which the provider
  reads on every call), and the async session reads error answers itself (aiohttp's `raise_for_status` hook).

Retries (sync and async alike, one rule `should_retry`): 429 and 400 COULD_NOT_ACQUIRE_LOCK (refused, so never
applied) and failures to connect are retried for every call; 5xx, resets and timeouts only for idempotent calls
(`endpoints.is_idempotent`). A non-idempotent write that fails that way raises `RegistryOutcomeUnknown`: the caller
looks at the registry before writing again. Requests that are not registry calls (the provider fetching an OAuth or
Azure AD token on the way) are retried as the provider would: repeating a token request is always safe, and a
failure there means the registry request was never sent. Tokens travel in the provider's auth object or headers;
the provider's DEBUG line that prints the request headers is redacted (`_HeadersRedactedLog`).

Every provider member used here is pinned in tests/databricks_registry/test_provider_pin.py.
"""

from __future__ import annotations

import contextvars
import json
from typing import Any, Self
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
from airflow.providers.common.compat.sdk import AirflowException
from airflow.providers.databricks.exceptions import DatabricksApiError
from airflow.providers.databricks.hooks.databricks_base import BaseDatabricksHook
from requests import exceptions as requests_exceptions
from tenacity import RetryError, retry_if_exception
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
_METHODS = ("GET", "POST", "PATCH", "DELETE")
# Whether the call in flight may be repeated blindly; read by the retry rule the provider's retry loop runs.
_IDEMPOTENT: contextvars.ContextVar[bool] = contextvars.ContextVar("registry_call_idempotent", default=False)


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
    """An HTTP error answer (status and body), the same for the sync and async paths."""

    def __init__(self, status: int, body: str, url: str | None = None) -> None:
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status, self.body, self.url = status, body, url

    @property
    def refused(self) -> bool:
        """The workspace turned the request away without applying it (rate limit, registry lock contention)."""
        return self.status == 429 or (self.status == 400 and "COULD_NOT_ACQUIRE_LOCK" in self.body)

    @classmethod
    def of(cls, error: BaseException) -> _ErrorAnswer | None:
        """The answer behind `error`: ours (async) or the `HTTPError` the provider's `raise_for_status` raised."""
        if isinstance(error, cls):
            return error
        if isinstance(error, requests_exceptions.HTTPError) and error.response is not None:
            return cls(error.response.status_code, error.response.text, error.response.url)
        return None


async def _read_error_answer(response: aiohttp.ClientResponse) -> None:
    """aiohttp `raise_for_status` hook: keep the error body, which the provider's async path throws away."""
    if response.status >= 400:
        raise _ErrorAnswer(response.status, await response.text(), str(response.url))


def _request_url(error: BaseException) -> str | None:
    """The URL of the request that failed, where the error carries it."""
    if isinstance(error, _ErrorAnswer):
        return error.url
    if isinstance(error, requests_exceptions.RequestException):
        for message in (error.response, error.request):
            if message is not None and getattr(message, "url", None):
                return str(message.url)
    if isinstance(error, aiohttp.ClientResponseError):
        return str(error.request_info.real_url)
    return None


def _is_token_request(error: BaseException) -> bool:
    """The failure is the provider's token fetch (OAuth, Azure AD, federation), not the registry call: every
    workspace REST call is below /api/, token endpoints never are."""
    url = _request_url(error)
    return url is not None and not urlsplit(url).path.startswith("/api/")


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
    if idempotent is False and _is_token_request(error):
        return should_retry(error, idempotent=True)  # the registry request has not been sent yet
    answer = _ErrorAnswer.of(error)
    if answer is not None:
        return answer.refused or (idempotent and answer.status >= 500)
    if _not_sent(error):
        return True
    if isinstance(error, aiohttp.ClientResponseError):  # a 2xx the provider could not read as JSON
        return False
    if isinstance(
        error,
        (requests_exceptions.ConnectionError, requests_exceptions.Timeout, aiohttp.ClientError, TimeoutError),
    ):
        return idempotent
    return False


def _request(endpoint: Endpoint, params: dict[str, Any] | None) -> tuple[Endpoint, dict[str, Any] | None]:
    """The provider's `(endpoint_info, json)`: GET/DELETE parameters in the query string, POST/PATCH as JSON."""
    method, path = endpoint
    if method not in _METHODS:
        raise ValueError(f"Unexpected HTTP method {method!r} for {path}")
    if method in ("POST", "PATCH"):
        return endpoint, params or {}
    query = urlencode(query_params(params), quote_via=quote)
    return (method, f"{path}?{query}" if query else path), None


class _HeadersRedactedLog:
    """The hook's logger, minus the request headers: the provider logs them at DEBUG with every request, and with
    Azure AD they carry the management token (`X-Databricks-Azure-SP-Management-Token`)."""

    def __init__(self, log: Any) -> None:
        self._log = log

    def debug(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str) and msg.startswith("Initiating %s request to %s with payload") and len(args) == 4:
            args = (*args[:3], "<redacted>")
        self._log.debug(msg, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._log, name)


class RegistryTransportMixin(BaseDatabricksHook):
    """`call` / `a_call`: the provider's request paths with the registry's retry rule and typed errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keep the provider's stop/wait/after (or the caller's retry_args); swap only which failures are retried.
        self.retry_args["retry"] = retry_if_exception(lambda error: should_retry(error, _IDEMPOTENT.get()))
        # LoggingMixin keeps the logger in `_log`; the provider's request paths log through it.
        self._log = _HeadersRedactedLog(self.log)  # type: ignore[assignment]  # same interface, one method wrapped
        self._calls_on_own_session = 0

    async def __aenter__(self) -> Self:
        # The provider's async path sends through `self._session`; this one keeps error bodies (see module doc).
        self._session = aiohttp.ClientSession(raise_for_status=_read_error_answer)
        return self

    def call(self, endpoint: Endpoint, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one registry request (with the provider's retries); return the JSON answer or raise RegistryError."""
        endpoint_info, body = _request(endpoint, params)
        token = _IDEMPOTENT.set(is_idempotent(endpoint))
        try:
            answer = self._do_api_call(endpoint_info, body, wrap_http_errors=False)
        except requests_exceptions.JSONDecodeError as e:  # a 2xx: applied, only its answer may be unreadable
            answer = _empty_or_unreadable(endpoint, e.doc, 200)
        except (AirflowException, requests_exceptions.RequestException) as e:
            raise self._failure(endpoint, e) from e
        finally:
            _IDEMPOTENT.reset(token)
        return _json_object(endpoint, answer)

    async def a_call(self, endpoint: Endpoint, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Async twin of `call` (GET, POST, PATCH: the provider's async path has no DELETE).

        Inside `async with hook:` calls share the hook's session. Outside it the hook opens a session for the
        calls in flight and closes it when the last of them ends, so concurrent calls never close each other's.
        """
        if endpoint[0] == "DELETE":
            raise ValueError(
                f"DELETE {endpoint[1]}: the provider's async path cannot send DELETE; use the sync call "
                "(README: Upstream fixes for the provider)"
            )
        if getattr(self, "_session", None) is None:
            await self.__aenter__()
            self._calls_on_own_session = 0
        elif not self._calls_on_own_session:
            return await self._a_send(endpoint, params)  # the caller's `async with` owns the session
        self._calls_on_own_session += 1
        try:
            return await self._a_send(endpoint, params)
        finally:
            self._calls_on_own_session -= 1
            if not self._calls_on_own_session and self._session is not None:
                await self._session.close()
                self._session = None  # type: ignore[assignment]  # the provider's own __aexit__ does the same

    async def _a_send(self, endpoint: Endpoint, params: dict[str, Any] | None) -> dict[str, Any]:
        endpoint_info, body = _request(endpoint, params)
        token = _IDEMPOTENT.set(is_idempotent(endpoint))
        try:
            answer = await self._a_do_api_call(endpoint_info, body)
        except (TimeoutError, AirflowException, _ErrorAnswer, aiohttp.ClientError) as e:
            raise self._failure(endpoint, e) from e
        except json.JSONDecodeError as e:  # a 2xx: applied, only its answer is unreadable
            answer = _empty_or_unreadable(endpoint, e.doc, 200)
        finally:
            _IDEMPOTENT.reset(token)
        return _json_object(endpoint, answer)

    @staticmethod
    def _failure(endpoint: Endpoint, error: BaseException) -> RegistryError:
        """The typed error for a failed call; a write that may have been applied gives RegistryOutcomeUnknown."""
        where = f"{endpoint[0]} {endpoint[1]}"
        attempts = 1
        if isinstance(error, DatabricksApiError):  # the provider's async path: a 2xx that is not JSON
            return RegistryResponseError(str(error), http_status_code=error.http_status_code, endpoint=where)
        if isinstance(error, AirflowException):  # the provider gave up retrying: `raise ... from RetryError`
            if isinstance(error.__cause__, RetryError):
                last = error.__cause__.last_attempt
                error, attempts = last.exception() or error, last.attempt_number
            elif error.__context__ is not None and _is_token_request(error.__context__):
                error = error.__context__  # a token fetch the provider turned into a bare AirflowException
            else:
                raise error
        prefix = f"Gave up after {attempts} attempts: " if attempts > 1 else ""
        if _is_token_request(error):
            return _token_failure(where, prefix, error)
        idempotent = is_idempotent(endpoint)
        answer = _ErrorAnswer.of(error)
        if answer is not None:
            typed = error_from_response(answer.status, answer.body, where)
            cls = RegistryOutcomeUnknown if answer.status >= 500 and not idempotent else type(typed)
            return cls(
                f"{prefix}{typed.message}",
                http_status_code=typed.http_status_code,
                error_code=typed.error_code,
                endpoint=where,
            )
        cls = RegistryUnavailable if idempotent or _not_sent(error) else RegistryOutcomeUnknown
        return cls(f"{prefix}{type(error).__name__}: {error}", endpoint=where)


def _token_failure(where: str, prefix: str, error: BaseException) -> RegistryError:
    """The provider could not get a token: the registry request was never sent, whatever its kind."""
    answer = _ErrorAnswer.of(error)
    if answer is None:
        return RegistryUnavailable(f"{prefix}could not get an access token: {type(error).__name__}", endpoint=where)
    typed = error_from_response(answer.status, answer.body, where)
    cls = RegistryUnavailable if answer.status >= 500 or answer.refused else type(typed)
    message = f"{prefix}could not get an access token (HTTP {answer.status}); the request was not sent"
    return cls(message, http_status_code=answer.status, error_code=typed.error_code, endpoint=where)


def _empty_or_unreadable(endpoint: Endpoint, text: str, status: int) -> dict[str, Any]:
    if not (text or "").strip():
        return {}
    raise RegistryResponseError(
        f"Answer is not JSON: {text.strip()[:200]!r}", http_status_code=status, endpoint=f"{endpoint[0]} {endpoint[1]}"
    )


def _json_object(endpoint: Endpoint, answer: Any) -> dict[str, Any]:
    if answer is None:  # aiohttp reads an empty body as None
        return {}
    if not isinstance(answer, dict):
        raise RegistryResponseError(
            f"Expected a JSON object, got {type(answer).__name__}", endpoint=f"{endpoint[0]} {endpoint[1]}"
        )
    return answer
