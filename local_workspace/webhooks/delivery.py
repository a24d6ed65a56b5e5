"""One delivery attempt: an HTTP webhook's signed POST, or a job webhook's `jobs/run-now`.

HTTP: `POST <url>` with the event's JSON body, `Content-Type: application/json`,
`X-Databricks-Signature: hex(HMAC-SHA256(secret, body))` when the webhook has a secret, and
`Authorization: <authorization>` when it has one. Redirects are not followed (an answer 3xx is a failure), proxies
from the environment are not used (Databricks connects directly), and `enable_ssl_verification: false` skips
certificate checks. Job: `run-now` of `job_id` with `notebook_params: {event_message: body}`, as the webhook's
access token's user: in-process for this workspace's jobs (`workspace_url` absent or naming this workspace), else
`POST <workspace_url>/api/2.2/jobs/run-now` with the token.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from local_workspace.config import WorkspaceConfig
from local_workspace.errors import DatabricksApiError
from local_workspace.runner.redact import Redactor
from local_workspace.webhooks.models import WebhookRow

SIGNATURE_HEADER = "X-Databricks-Signature"
MAX_RECORDED_BODY_CHARS = 4096
DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None: no HTTP answer (refused, timed out, TLS error)
    body: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # urllib then raises HTTPError with the 3xx status


def _opener(verify_tls: bool) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context()
    if not verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context), _NoRedirects()
    )


def _post(url: str, body: bytes, headers: dict[str, str], verify_tls: bool, timeout: float, redact: Redactor):
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener(verify_tls).open(request, timeout=timeout) as response:
            text = response.read(MAX_RECORDED_BODY_CHARS).decode("utf-8", "replace")
            return Outcome(response.status, redact(text))
    except urllib.error.HTTPError as exc:
        text = exc.read(MAX_RECORDED_BODY_CHARS).decode("utf-8", "replace") if exc.fp else ""
        return Outcome(exc.code, redact(text), redact(f"HTTP {exc.code} {exc.reason}"))
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # urllib's messages name the failure, not the URL or headers; redacted anyway, they are recorded.
        return Outcome(None, "", redact(f"{type(exc).__name__}: {exc}")[:MAX_RECORDED_BODY_CHARS])


def redactor_for(webhook: WebhookRow) -> Redactor:
    return Redactor(webhook.secrets)


def send_http(webhook: WebhookRow, body: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Outcome:
    data = body.encode()
    headers = {"Content-Type": "application/json"}
    if webhook.secret:
        headers[SIGNATURE_HEADER] = signature(webhook.secret, data)
    if webhook.authorization:
        headers["Authorization"] = webhook.authorization
    assert webhook.url is not None
    return _post(webhook.url, data, headers, webhook.enable_ssl_verification, timeout, redactor_for(webhook))


def run_now_body(job_id: str, body: str, idempotency_token: str | None = None) -> bytes:
    request: dict = {"job_id": int(job_id), "notebook_params": {"event_message": body}}
    if idempotency_token:
        request["idempotency_token"] = idempotency_token
    return json.dumps(request).encode()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def is_this_workspace(workspace_url: str | None, config: WorkspaceConfig) -> bool:
    own = {_origin(u) for u in (config.base_url, config.public_url) if u}
    return workspace_url is None or _origin(workspace_url) in own


def _run_job_here(webhook: WebhookRow, body: str, config: WorkspaceConfig, idempotency_token: str | None) -> Outcome:
    """This workspace's saved job, started in-process as `jobs/run-now` would (the token must be one of ours)."""
    from local_workspace.jobs.saved import run_now

    assert webhook.job_id is not None and webhook.access_token is not None
    user = config.user_for_token(webhook.access_token)
    if user is None:
        error = DatabricksApiError("UNAUTHENTICATED", "The webhook's access_token is not valid for this workspace.")
    else:
        try:
            run_id = run_now(
                int(webhook.job_id),
                notebook_params={"event_message": body},
                idempotency_token=idempotency_token,
                user=user,
                config=config,
                token_sha256=hashlib.sha256(webhook.access_token.encode()).hexdigest(),
            )
            return Outcome(200, json.dumps({"run_id": run_id}))
        except DatabricksApiError as exc:
            error = exc
    return Outcome(error.status, json.dumps(error.to_dict()), f"{error.error_code}: {error.message}")


def _run_job_there(webhook: WebhookRow, body: str, timeout: float, idempotency_token: str | None) -> Outcome:
    """Another workspace's `jobs/run-now`, with the access token (that workspace checks it like any client's) and
    the delivery's idempotency token, so a retry whose answer was lost starts no second run there."""
    assert webhook.job_id is not None and webhook.workspace_url is not None
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {webhook.access_token}"}
    url = f"{webhook.workspace_url.rstrip('/')}/api/2.2/jobs/run-now"
    request = run_now_body(webhook.job_id, body, idempotency_token)
    return _post(url, request, headers, True, timeout, redactor_for(webhook))


def send(
    webhook: WebhookRow,
    body: str,
    config: WorkspaceConfig,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    idempotency_token: str | None = None,
) -> Outcome:
    """One attempt. `idempotency_token` makes a job delivery repeated (a retry, a restart) start no second run,
    in this workspace or another."""
    if webhook.url:
        return send_http(webhook, body, timeout)
    if is_this_workspace(webhook.workspace_url, config):
        return _run_job_here(webhook, body, config, idempotency_token)
    return _run_job_there(webhook, body, timeout, idempotency_token)
