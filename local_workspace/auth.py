"""Authentication for every route of the workspace, as an ASGI middleware around the whole app.

MLflow's FastAPI routers (artifacts, jobs, gateway, ...) are served before its Flask app, so a Flask
`before_request` hook would miss them: the check has to wrap everything. Accepted credentials:
`Authorization: Bearer <token>` (what Databricks clients send), HTTP Basic with the token as password (what
MLflow's http clients send with MLFLOW_TRACKING_USERNAME/PASSWORD), or the session cookie set by `/login`
(for the workspace's pages in a browser). The user name reaches Flask handlers in the `X-Local-Workspace-User`
header, which the middleware always strips from the client's request first.

Writes (any method but GET/HEAD/OPTIONS) authenticated by the session cookie must come from the workspace's own
pages: `Sec-Fetch-Site: same-origin`, or an `Origin` equal to the request's own. Otherwise a page of another site
(or a sibling subdomain, which SameSite=Lax counts as the same site) could send a credentialed no-preflight
`fetch` (e.g. a text/plain POST, which the registry's JSON parsing accepts). Token-authenticated requests carry
no ambient credential, so they are not checked.

A session cookie is accepted only while (1) its signature and age are valid, (2) it was issued for a token the
workspace still accepts (rotating the token ends every session), and (3) its session id is still recorded in
workspace.db (`/logout` deletes it, for every worker at once).
"""

from __future__ import annotations

import base64
import hmac
import html
import json
import unicodedata
from functools import partial
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote, unquote, urlencode

import anyio.to_thread

from local_workspace import browser_sessions, signing
from local_workspace.config import WorkspaceConfig

USER_HEADER = b"x-local-workspace-user"
SESSION_COOKIE = "lw_session"
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
# Answer without credentials: health checks, the login page and the databricks-sdk discovery probe.
OPEN_PATHS = frozenset({"/health", "/version", LOGIN_PATH, LOGOUT_PATH, "/.well-known/databricks-config"})
API_PREFIXES = ("/api/", "/ajax-api/", "/gateway/", "/v1/", "/mcp")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_user(request=None) -> str | None:
    """The authenticated user of `request` (a Flask or Starlette request; default: the current Flask request).

    None when unauthenticated or outside a request. Pages call this to show who is signed in.
    """
    if request is None:
        from flask import has_request_context
        from flask import request as flask_request

        if not has_request_context():
            return None
        request = flask_request
    value = request.headers.get(USER_HEADER.decode())
    return unquote(value) if value else None


def login_url(next_path: str) -> str:
    """Where to send a browser to sign in and come back to `next_path` (a path with an optional query)."""
    return f"{LOGIN_PATH}?{urlencode({'next': next_path})}"


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


def safe_next(value: str | None) -> str:
    """`value` if it is a same-origin relative path, else "/"; the result is safe for a Location header.

    Browsers drop tabs and newlines inside URLs and treat `\\` like `/`, so `/%09/evil.example` or `/\\evil`
    would become `//evil.example` (another site). Checked on the fully percent-decoded value: one path starting
    with a single `/`, no `//` and no `\\` in the path, no control or whitespace characters except plain spaces
    (model names have them; they are re-encoded as %20).
    """
    if not value:
        return "/"
    decoded = value
    for _ in range(5):  # decode until stable, so double-encoding (%2509) cannot hide a tab
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    else:
        return "/"
    path = decoded.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or "//" in path or "\\" in decoded:
        return "/"
    if any(ch != " " and (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")) for ch in decoded):
        return "/"
    # Re-encode anything outside a URL's safe characters (spaces, non-ASCII): a Location header is ASCII.
    return quote(value, safe="/?#&=%:@!$'()*+,;~-._")


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


def _query(scope) -> dict[str, str]:
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))


CROSS_SITE_BODY = json.dumps(
    {
        "error_code": "PERMISSION_DENIED",
        "message": "Cross-site request refused: a write with the browser session cookie must come from this "
        "workspace's own pages. API clients send 'Authorization: Bearer <token>'.",
    }
).encode()


def _same_origin_write(scope) -> bool:
    """Whether a cookie-authenticated request may proceed: reads always; writes only from this origin."""
    if scope["type"] != "http" or scope.get("method", "GET") in SAFE_METHODS:
        return True
    if _header(scope, b"sec-fetch-site") == "same-origin":
        return True
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    return bool(origin and host) and origin.lower() == f"{scope.get('scheme', 'http')}://{host}".lower()


async def _send(send, status: int, body: bytes, content_type: str, extra_headers=()) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *extra_headers,
    ]
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


# The fragment (`#/models/x`, MLflow's UI routes) never reaches the server: the script adds it to `next`, so the
# browser lands on the page it asked for.
LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Local workspace: sign in</title></head>
<body style="font-family:sans-serif;max-width:28em;margin:4em auto">
<h1>Local workspace</h1><p>Paste the workspace token (printed by <code>local-workspace serve</code>, or in its
<code>--token-file</code>).</p>
{error}<form id="login" method="post" action="/login"><input type="hidden" name="next" value="{next}">
<input type="password" name="token" autofocus style="width:100%" autocomplete="current-password">
<p><button type="submit">Sign in</button></p></form>
<script>var n=document.getElementById("login").elements.next;
if(location.hash&&n.value.indexOf("#")<0){{n.value+=location.hash;}}</script></body></html>"""


def _login_page(next_path: str, error: str = "") -> bytes:
    return LOGIN_PAGE.format(error=error, next=html.escape(next_path)).encode()


class AuthMiddleware:
    def __init__(self, app, config: WorkspaceConfig):
        self.app = app
        self.config = config
        self.key = signing.load_key(config.data_dir)
        # fingerprint of each accepted token -> its user: a cookie issued for any other token is refused.
        self.fingerprints = {signing.token_fingerprint(self.key, token): user for token, user in config.tokens.items()}
        browser_sessions.ensure_table(config.db_path)

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

        if scope["type"] == "http" and path in (LOGIN_PATH, LOGOUT_PATH):
            return await (self._logout(scope, send) if path == LOGOUT_PATH else self._login(scope, receive, send))

        user = user_from_authorization(self.config, _header(scope, b"authorization"))
        if user is None:
            user = await self._session_user(scope)
            if user is not None and not _same_origin_write(scope):
                return await _send(send, 403, CROSS_SITE_BODY, "application/json")
        if user is None and path == signing.SIGNED_DOWNLOAD_PATH:
            if signing.verify_download(self.key, _query(scope)):
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

    def _session(self, scope) -> signing.SessionClaims | None:
        claims = signing.read_session_cookie(self.key, _cookie(scope, SESSION_COOKIE))
        # Issued for a token the workspace no longer accepts (rotated, or its user removed): refused.
        if claims is None or self.fingerprints.get(claims.token_fingerprint) != claims.user:
            return None
        return claims

    async def _session_user(self, scope) -> str | None:
        claims = self._session(scope)
        if claims is None:
            return None
        # SQLite calls run in a worker thread: a busy workspace.db must not stall the event loop.
        active = await anyio.to_thread.run_sync(
            partial(browser_sessions.is_active, self.config.db_path, claims.session_id, claims.user)
        )
        return claims.user if active else None

    async def _reject(self, scope, send, path: str) -> None:
        wants_html = "text/html" in (_header(scope, b"accept") or "")
        if scope.get("method") == "GET" and wants_html and not path.startswith(API_PREFIXES):
            query = scope.get("query_string", b"").decode("latin-1")
            location = login_url(path + ("?" + query if query else ""))
            await _send(send, 302, b"", "text/plain", [(b"location", location.encode("latin-1"))])
            return
        body = json.dumps(
            {
                "error_code": "UNAUTHENTICATED",
                "message": "Credential was not sent or was of an unsupported type for this API. "
                "Send 'Authorization: Bearer <token>'.",
            }
        ).encode()
        await _send(send, 401, body, "application/json", [(b"www-authenticate", b'Bearer realm="local-workspace"')])

    async def _logout(self, scope, send) -> None:
        claims = signing.read_session_cookie(self.key, _cookie(scope, SESSION_COOKIE))
        if claims is not None and claims.session_id:
            await anyio.to_thread.run_sync(browser_sessions.revoke, self.config.db_path, claims.session_id)
        expired = f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax".encode()
        await _send(send, 303, b"", "text/plain", [(b"location", LOGIN_PATH.encode()), (b"set-cookie", expired)])

    async def _login(self, scope, receive, send) -> None:
        if scope.get("method") != "POST":
            next_path = safe_next(_query(scope).get("next"))
            if await self._session_user(scope) is not None:  # already signed in: go straight to the page asked for
                await _send(send, 303, b"", "text/plain", [(b"location", next_path.encode())])
                return
            await _send(send, 200, _login_page(next_path), "text/html; charset=utf-8")
            return
        form = dict(parse_qsl((await _read_body(receive)).decode("utf-8", "replace")))
        token = form.get("token", "")
        user = _token_user(self.config, token) if token else None
        next_path = safe_next(form.get("next"))
        if user is None:
            error = '<p style="color:#b00">That token is not valid.</p>'
            await _send(send, 401, _login_page(next_path, error), "text/html; charset=utf-8")
            return
        ttl = signing.SESSION_TTL_SECONDS
        session_id = await anyio.to_thread.run_sync(browser_sessions.create, self.config.db_path, user, ttl)
        cookie = signing.make_session_cookie(self.key, user, session_id, signing.token_fingerprint(self.key, token))
        set_cookie = f"{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax; Max-Age={ttl}"
        await _send(
            send, 303, b"", "text/plain", [(b"location", next_path.encode()), (b"set-cookie", set_cookie.encode())]
        )
