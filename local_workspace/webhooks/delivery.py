"""One delivery attempt: an HTTP webhook's signed POST, or a job webhook's `jobs/run-now`.

HTTP: `POST <url>` with the event's JSON body, `Content-Type: application/json`,
`X-Databricks-Signature: hex(HMAC-SHA256(secret, body))` when the webhook has a secret, and
`Authorization: <authorization>` when it has one. Redirects are not followed (an answer 3xx is a failure), proxies
from the environment are not used (Databricks connects directly), and `enable_ssl_verification: false` skips
certificate checks. Job: `POST <workspace>/api/2.2/jobs/run-now {job_id, notebook_params: {event_message: body}}`
with the webhook's access token; this workspace's own jobs when `workspace_url` is absent or names it.
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


def run_now_body(job_id: str, body: str) -> bytes:
    return json.dumps({"job_id": int(job_id), "notebook_params": {"event_message": body}}).encode()


def send_job(webhook: WebhookRow, body: str, own_url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Outcome:
    """`jobs/run-now` over HTTP, with the webhook's token (the workspace checks it as it checks any client's)."""
    assert webhook.job_id is not None and webhook.access_token is not None
    base = (webhook.workspace_url or own_url).rstrip("/")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {webhook.access_token}"}
    url = f"{base}/api/2.2/jobs/run-now"
    return _post(url, run_now_body(webhook.job_id, body), headers, True, timeout, redactor_for(webhook))


def send(webhook: WebhookRow, body: str, own_url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Outcome:
    if webhook.url:
        return send_http(webhook, body, timeout)
    return send_job(webhook, body, own_url, timeout)
