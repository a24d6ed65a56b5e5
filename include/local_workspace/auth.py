"""Authentication for every route of the workspace, as an ASGI middleware around the whole app.

MLflow's FastAPI routers (artifacts, jobs, gateway, ...) are served before its Flask app, so a Flask
`before_request` hook would miss them: the check has to wrap everything. Accepted credentials:
`Authorization: Bearer <token>` (what Databricks clients send), HTTP Basic with the token as password (what
MLflow's http clients send with MLFLOW_TRACKING_USERNAME/PASSWORD), or the signed session cookie set by `/login`
(for the MLflow web UI in a browser). The user name reaches Flask handlers in the `X-Local-Workspace-User` header,
which the middleware always strips from the client's request first.
"""

from __future__ import annotations

import base64
import hmac
import html
import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote, unquote

from local_workspace import signing
from local_workspace.config import WorkspaceConfig

USER_HEADER = b"x-local-workspace-user"
SESSION_COOKIE = "lw_session"
# Answer without credentials: health checks, the login page and the databricks-sdk discovery probe.
OPEN_PATHS = frozenset({"/health", "/version", "/login", "/logout", "/.well-known/databricks-config"})
API_PREFIXES = ("/api/", "/ajax-api/", "/gateway/", "/v1/", "/mcp")


def current_user() -> str | None:
    """The authenticated user of the current Flask request (None outside a request or when unauthenticated)."""
    from flask import has_request_context, request

    if not has_request_context():
        return None
    value = request.headers.get(USER_HEADER.decode())
    return unquote(value) if value else None


def _token_user(config: WorkspaceConfig, token: str) -> str | None:
    # Compare against every token in constant time, so timing does not reveal a valid prefix.
    found = None
    for candidate, user in config.tokens.items():
        if hmac.compare_digest(candidate.encode(), token.encode()):
            found = user
    return found


def user_from_authorization(config: WorkspaceConfig, header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return _token_user(config, credentials)
    if scheme.lower() == "basic" and credentials:
        try:
            _, _, password = base64.b64decode(credentials).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return _token_user(config, password) if password else None
    return None


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed cookie header means "no session", not a crash
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


async def _send(send, status: int, body: bytes, content_type: str, extra_headers=()) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store"), *extra_headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive, limit: int = 64 * 1024) -> bytes:
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            break
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Local workspace: sign in</title></head>
<body style="font-family:sans-serif;max-width:28em;margin:4em auto">
<h1>Local workspace</h1><p>Paste the workspace token (printed by <code>local-workspace serve</code>).</p>
{error}<form method="post" action="/login"><input type="hidden" name="next" value="{next}">
<input type="password" name="token" autofocus style="width:100%" autocomplete="current-password">
<p><button type="submit">Sign in</button></p></form></body></html>"""


def _safe_next(value: str | None) -> str:
    # Only same-site relative paths: an open redirect would let another site bounce a user through here.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


class AuthMiddleware:
    def __init__(self, app, config: WorkspaceConfig):
        self.app = app
        self.config = config
        self.key = signing.load_key(config.data_dir)
        self.known_users = frozenset(config.tokens.values())

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self.app(scope, receive, send)
        if scope["type"] not in ("http", "websocket"):
            return None
        path = scope.get("path", "")
        # Never trust a client-sent identity header, also not spelled with underscores (WSGI maps both to the
        # same environ key and would join the values).
        headers = [(k, v) for k, v in scope.get("headers", []) if k.replace(b"_", b"-") != USER_HEADER]
        scope = dict(scope, headers=headers)

        if scope["type"] == "http" and path in ("/login", "/logout"):
            return await self._login(scope, receive, send, path)

        user = user_from_authorization(self.config, _header(scope, b"authorization"))
        if user is None:
            user = signing.read_session_cookie(self.key, _cookie(scope, SESSION_COOKIE))
            if user not in self.known_users:  # a user removed from the users file loses their sessions too
                user = None
        if user is None and path == signing.SIGNED_DOWNLOAD_PATH:
            params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if signing.verify_download(self.key, params):
                user = "signed-url"
        if user is not None:
            scope["headers"] = headers + [(USER_HEADER, quote(user).encode("latin-1"))]
            return await self.app(scope, receive, send)
        if path in OPEN_PATHS:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return None
        return await self._reject(scope, send, path)

    async def _reject(self, scope, send, path: str) -> None:
        wants_html = "text/html" in (_header(scope, b"accept") or "")
        if scope.get("method") == "GET" and wants_html and not path.startswith(API_PREFIXES):
            target = quote(path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else ""))
            await _send(send, 302, b"", "text/plain", [(b"location", f"/login?next={target}".encode())])
            return
        body = json.dumps({"error_code": "UNAUTHENTICATED",
                           "message": "Credential was not sent or was of an unsupported type for this API. "
                                      "Send 'Authorization: Bearer <token>'."}).encode()
        await _send(send, 401, body, "application/json", [(b"www-authenticate", b'Bearer realm="local-workspace"')])

    async def _login(self, scope, receive, send, path: str) -> None:
        if path == "/logout":
            expired = f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict".encode()
            await _send(send, 303, b"", "text/plain", [(b"location", b"/login"), (b"set-cookie", expired)])
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if scope.get("method") != "POST":
            page = LOGIN_PAGE.format(error="", next=html.escape(_safe_next(query.get("next"))))
            await _send(send, 200, page.encode(), "text/html; charset=utf-8")
            return
        form = dict(parse_qsl((await _read_body(receive)).decode("utf-8", "replace")))
        user = _token_user(self.config, form.get("token", "")) if form.get("token") else None
        next_path = _safe_next(form.get("next"))
        if user is None:
            page = LOGIN_PAGE.format(error='<p style="color:#b00">That token is not valid.</p>',
                                     next=html.escape(next_path))
            await _send(send, 401, page.encode(), "text/html; charset=utf-8")
            return
        cookie = signing.make_session_cookie(self.key, user)
        set_cookie = f"{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age={12 * 3600}"
        await _send(send, 303, b"", "text/plain", [(b"location", next_path.encode()), (b"set-cookie", set_cookie.encode())])
