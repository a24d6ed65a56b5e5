"""Authentication for every route of the workspace, as a Starlette (pure ASGI) middleware around the whole app.

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
import unicodedata
from urllib.parse import parse_qsl, quote, unquote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketClose

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
NO_STORE = {"cache-control": "no-store"}


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


def token_from_authorization(header: str | None) -> str | None:
    """The token of `Authorization: Bearer <token>` or of HTTP Basic (the token is the password)."""
    scheme, _, credentials = (header or "").partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials
    if scheme.lower() == "basic" and credentials:
        try:
            return base64.b64decode(credentials).decode().partition(":")[2] or None
        except (ValueError, UnicodeDecodeError):
            return None
    return None


def user_from_authorization(config: WorkspaceConfig, header: str | None) -> str | None:
    token = token_from_authorization(header)
    return _token_user(config, token) if token else None


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


CROSS_SITE_MESSAGE = (
    "Cross-site request refused: a write with the browser session cookie must come from this "
    "workspace's own pages. API clients send 'Authorization: Bearer <token>'."
)


def _same_origin_write(connection: HTTPConnection) -> bool:
    """Whether a cookie-authenticated request may proceed: reads always; writes only from this origin."""
    if connection.scope["type"] != "http" or connection.scope.get("method", "GET") in SAFE_METHODS:
        return True
    if connection.headers.get("sec-fetch-site") == "same-origin":
        return True
    origin, host = connection.headers.get("origin"), connection.headers.get("host")
    if not origin or not host:
        return False
    return origin.lower() == f"{connection.scope.get('scheme', 'http')}://{host}".lower()


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


def _login_page(next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
    body = LOGIN_PAGE.format(error=error, next=html.escape(next_path))
    return HTMLResponse(body, status, headers=NO_STORE)


def _redirect(location: str, status: int, **headers: str) -> Response:
    # Not RedirectResponse: it would quote the location again, and `safe_next` already made it a safe URL.
    return Response(b"", status, headers={"location": location, **NO_STORE, **headers}, media_type="text/plain")


def _json_error(status: int, error_code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error_code": error_code, "message": message}, status, headers={**NO_STORE, **headers})


async def _read_form(request: Request, limit: int = 64 * 1024) -> dict[str, str]:
    """The urlencoded form of the login page, read up to `limit` bytes (a token and a path need far less)."""
    body = b""
    async for chunk in request.stream():
        if len(body) + len(chunk) > limit:
            break
        body += chunk
    return dict(parse_qsl(body.decode("utf-8", "replace")))


class AuthMiddleware:
    """A pure ASGI middleware (not BaseHTTPMiddleware: downloads and uploads stream through it untouched)."""

    def __init__(self, app: ASGIApp, config: WorkspaceConfig):
        self.app = app
        self.config = config
        self.key = signing.load_key(config.data_dir)
        # fingerprint of each accepted token -> its user: a cookie issued for any other token is refused.
        self.fingerprints = {signing.token_fingerprint(self.key, token): user for token, user in config.tokens.items()}
        browser_sessions.ensure_table(config.db_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] not in ("http", "websocket"):
            return
        # Never trust a client-sent identity header, also not spelled with underscores (WSGI maps both to the
        # same environ key and would join the values).
        headers = [(k, v) for k, v in scope.get("headers", []) if k.replace(b"_", b"-") != USER_HEADER]
        scope = dict(scope, headers=headers)
        connection = HTTPConnection(scope)
        path = connection.scope.get("path", "")

        if scope["type"] == "http" and path in (LOGIN_PATH, LOGOUT_PATH):
            request = Request(scope, receive)
            response = await (self._logout(request) if path == LOGOUT_PATH else self._login(request))
            await response(scope, receive, send)
            return

        user = user_from_authorization(self.config, connection.headers.get("authorization"))
        if user is None:
            user = await self._session_user(connection)
            if user is not None and not _same_origin_write(connection):
                await _json_error(403, "PERMISSION_DENIED", CROSS_SITE_MESSAGE)(scope, receive, send)
                return
        if user is None and self._signed(connection):
            user = "signed-url"
        if user is not None:
            scope["headers"] = [*headers, (USER_HEADER, quote(user).encode("latin-1"))]
            await self.app(scope, receive, send)
        elif path in OPEN_PATHS:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await WebSocketClose(code=1008)(scope, receive, send)
        else:
            await _unauthenticated(connection)(scope, receive, send)

    def _signed(self, connection: HTTPConnection) -> bool:
        """A self-authenticating URL: a registry download, or a Unity Catalog model file's presigned URL."""
        path, params = connection.scope.get("path", ""), dict(connection.query_params)
        if path == signing.UC_FILE_URL_PATH:
            return signing.verify_uc_file(self.key, connection.scope.get("method", "GET"), params)
        return path == signing.SIGNED_DOWNLOAD_PATH and signing.verify_download(self.key, params)

    def _session(self, connection: HTTPConnection) -> signing.SessionClaims | None:
        claims = signing.read_session_cookie(self.key, connection.cookies.get(SESSION_COOKIE))
        # Issued for a token the workspace no longer accepts (rotated, or its user removed): refused.
        if claims is None or self.fingerprints.get(claims.token_fingerprint) != claims.user:
            return None
        return claims

    async def _session_user(self, connection: HTTPConnection) -> str | None:
        claims = self._session(connection)
        if claims is None:
            return None
        # SQLite calls run in a worker thread: a busy workspace.db must not stall the event loop.
        active = await run_in_threadpool(
            browser_sessions.is_active, self.config.db_path, claims.session_id, claims.user
        )
        return claims.user if active else None

    async def _logout(self, request: Request) -> Response:
        claims = signing.read_session_cookie(self.key, request.cookies.get(SESSION_COOKIE))
        if claims is not None and claims.session_id:
            await run_in_threadpool(browser_sessions.revoke, self.config.db_path, claims.session_id)
        response = _redirect(LOGIN_PATH, 303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    async def _login(self, request: Request) -> Response:
        if request.method != "POST":
            next_path = safe_next(request.query_params.get("next"))
            if await self._session_user(request) is not None:  # already signed in: go to the page asked for
                return _redirect(next_path, 303)
            return _login_page(next_path)
        form = await _read_form(request)
        token = form.get("token", "")
        user = _token_user(self.config, token) if token else None
        next_path = safe_next(form.get("next"))
        if user is None:
            return _login_page(next_path, '<p style="color:#b00">That token is not valid.</p>', 401)
        ttl = signing.SESSION_TTL_SECONDS
        session_id = await run_in_threadpool(browser_sessions.create, self.config.db_path, user, ttl)
        cookie = signing.make_session_cookie(self.key, user, session_id, signing.token_fingerprint(self.key, token))
        response = _redirect(next_path, 303)
        response.set_cookie(SESSION_COOKIE, cookie, max_age=ttl, path="/", httponly=True, samesite="lax")
        return response


def _unauthenticated(connection: HTTPConnection) -> Response:
    """A browser asking for a page goes to the login page; anything else gets Databricks' 401."""
    path = connection.scope.get("path", "")
    wants_html = "text/html" in connection.headers.get("accept", "")
    if connection.scope.get("method") == "GET" and wants_html and not path.startswith(API_PREFIXES):
        query = connection.scope.get("query_string", b"").decode("latin-1")
        return _redirect(login_url(path + ("?" + query if query else "")), 302)
    return _json_error(
        401,
        "UNAUTHENTICATED",
        "Credential was not sent or was of an unsupported type for this API. Send 'Authorization: Bearer <token>'.",
        **{"www-authenticate": 'Bearer realm="local-workspace"'},
    )
