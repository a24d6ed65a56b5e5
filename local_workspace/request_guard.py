"""ASGI layer that turns hostile API input into 4xx answers before any handler (ours or MLflow's) sees it.

It covers what every handler would otherwise have to get right on its own, and what MLflow's Flask and FastAPI
handlers answer with 500 or accept wrongly: bodies above the size limit (413), JSON nested deeper than
MAX_JSON_DEPTH (json/protobuf parsers recurse and fail with RecursionError), bodies or query strings that are not
UTF-8, lone UTF-16 surrogates (SQLite cannot store them), integers beyond 64 bits (SQLite cannot store them) and
integer fields written with non-ASCII digits ("١" would be read as 1), and oversized comments/descriptions.
File uploads (Files API, MLflow artifact proxy) are only size-checked: their bodies are not JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from urllib.parse import parse_qsl

from local_workspace.errors import DatabricksApiError
from local_workspace.limits import (
    INT64_MAX,
    INTEGER_FIELDS,
    MAX_API_BODY_BYTES,
    MAX_COMMENT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_JSON_DEPTH,
    MAX_UPLOAD_BYTES,
    check_length,
    parse_int64,
)

API_PREFIXES = ("/api/", "/ajax-api/", "/gateway/", "/v1/")
LONG_TEXT_FIELDS = {"comment": MAX_COMMENT_CHARS, "description": MAX_DESCRIPTION_CHARS}
# MLflow run ids are 32 hex digits: they may be all digits, and are not integers.
NOT_INTEGER_ON_MLFLOW = frozenset({"run_id"})
DRAIN_BYTES = 8 * MAX_API_BODY_BYTES
BINARY_CONTENT_TYPES = ("protobuf", "octet-stream", "multipart/")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def is_upload(method: str, path: str) -> bool:
    return method in ("PUT", "POST") and (
        path.startswith("/api/2.0/fs/files/") or "/mlflow-artifacts/" in path or path.endswith("/upload-artifact")
    )


def _error(error_code: str, message: str, status: int = 400) -> DatabricksApiError:
    return DatabricksApiError(error_code, message, status)


def json_depth(value) -> int:
    """How deep a parsed JSON value nests arrays/objects (iterative: deep input must not recurse here either)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _reject_big_int(text: str) -> int:
    value = int(text) if len(text) <= 20 else None  # int() of a million digits is slow (and refused above 4300)
    if value is None or not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise _error(
            "INVALID_PARAMETER_VALUE",
            f"The number {text[:30]}{'...' if len(text) > 30 else ''} ({len(text)} digits) does not fit "
            "in a 64-bit integer.",
        )
    return value


def check_fields(fields: dict, path: str) -> None:
    """Integer-typed fields (given as strings) and long-text limits; `fields` are query or top-level JSON fields."""
    mlflow = "/mlflow" in path
    for name, value in fields.items():
        if name in LONG_TEXT_FIELDS and isinstance(value, str):
            check_length(value, name, LONG_TEXT_FIELDS[name])
        if name == "page_token" and isinstance(value, str):
            _check_page_token(value)
        if name not in INTEGER_FIELDS or (mlflow and name in NOT_INTEGER_ON_MLFLOW):
            continue
        if isinstance(value, str) and value != "":
            parse_int64(value, name, minimum=-INT64_MAX - 1)


def _check_page_token(token: str) -> None:
    """MLflow's page tokens are base64 JSON {"offset": n}; an offset beyond 64 bits reaches SQLite as is."""
    try:
        decoded = json.loads(base64.b64decode(token, validate=True)) if len(token) <= 4096 else None
    except (ValueError, UnicodeDecodeError, binascii.Error, RecursionError):
        return  # not an MLflow token: its handler judges it
    offset = decoded.get("offset") if isinstance(decoded, dict) else None
    if isinstance(offset, int) and not 0 <= offset <= INT64_MAX:
        raise _error("INVALID_PARAMETER_VALUE", "Invalid page_token: its offset is out of range.")


def check_json_body(body: bytes, path: str) -> None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _error("MALFORMED_REQUEST", f"The request body is not valid UTF-8 (byte {exc.start}).") from None
    try:
        parsed = json.loads(text, parse_int=_reject_big_int)
    except ValueError:
        return  # not JSON: the handler answers in its own words (each one rejects a body it cannot read)
    except RecursionError:  # far deeper than any limit: the parser gave up
        raise _error("MALFORMED_REQUEST", f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.") from None
    if json_depth(parsed) > MAX_JSON_DEPTH:
        raise _error("MALFORMED_REQUEST", f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
    if _SURROGATE_ESCAPE.search(body):
        try:
            json.dumps(parsed, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise _error("MALFORMED_REQUEST", "The JSON body contains an unpaired UTF-16 surrogate escape.") from None
    if isinstance(parsed, dict):
        check_fields(parsed, path)


def check_query(query_string: bytes, path: str) -> None:
    try:
        fields = dict(
            parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")
        )
    except UnicodeDecodeError:
        raise _error("MALFORMED_REQUEST", "The query string is not valid UTF-8.") from None
    check_fields(fields, path)


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


async def _send_error(send, error: DatabricksApiError) -> None:
    body = json.dumps(error.to_dict()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> DatabricksApiError:
    return _error("REQUEST_LIMIT_EXCEEDED", f"The request body is larger than the limit of {limit} bytes.", 413)


class RequestGuard:
    def __init__(self, app):
        self.app = app

    def __getattr__(self, name):
        # Transparent wrapper: `routes` and the like still reach the FastAPI app inside.
        if name == "app":
            raise AttributeError(name)
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").startswith(API_PREFIXES):
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope.get("method", "GET")
        upload = is_upload(method, path)
        limit = MAX_UPLOAD_BYTES if upload else MAX_API_BODY_BYTES
        try:
            check_query(scope.get("query_string", b""), path)
            declared = _header(scope, b"content-length")
            if upload and declared is not None and declared.isdigit() and int(declared) > limit:
                raise _too_large(limit)
            if upload:
                return await self.app(scope, receive, send)
            body = await _read_body(receive, limit)
            content_type = (_header(scope, b"content-type") or "").lower()
            # Handlers read bodies as JSON whatever the declared type (get_json(force=True)): so does the guard,
            # except for binary types (OTLP protobuf traces, octet streams, multipart forms).
            binary = any(kind in content_type for kind in BINARY_CONTENT_TYPES)
            if body and not binary and ("json" in content_type or not content_type or body.lstrip()[:1] in b"{["):
                check_json_body(body, path)
        except DatabricksApiError as error:
            return await _send_error(send, error)
        return await self.app(scope, _replay(body, receive), send)


async def _read_body(receive, limit: int) -> bytes:
    """The whole body, or 413 above `limit`. An oversized body is still read (up to DRAIN_BYTES) and dropped:
    closing the connection on a client that is still sending would lose our answer to a connection reset."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > DRAIN_BYTES:
            break
        if size <= limit:
            chunks.append(chunk)
        more = message.get("more_body", False)
    if size > limit:
        raise _too_large(limit)
    return b"".join(chunks)


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
