"""Rendering of the pages: one autoescaping Jinja environment, formatting filters, security headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote

from local_workspace.pages.templates import TEMPLATES

CSS_URL = "/workspace-pages/static/pages.css"
# The pages run no script at all; data can only ever be text.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

ACTIVITY_LABELS = {
    "REQUESTED_TRANSITION": "Requested a transition",
    "APPROVED_REQUEST": "Approved the request",
    "REJECTED_REQUEST": "Rejected the request",
    "CANCELLED_REQUEST": "Cancelled the request",
    "APPLIED_TRANSITION": "Applied a transition",
    "SYSTEM_TRANSITION": "System transition",
    "NEW_COMMENT": "Commented",
}


def path_segment(value) -> str:
    """One URL path segment: everything but unreserved characters is percent-encoded (also `/`)."""
    return quote(str(value), safe="")


def timestamp(ms) -> str:
    if not ms:
        return "—"
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def run_duration(row) -> str:
    if not row.start_time:
        return "—"
    end = row.end_time or int(datetime.now(tz=UTC).timestamp() * 1000)
    seconds = max(0, end - row.start_time) / 1000
    text = f"{seconds:.1f} s" if seconds < 120 else f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return text if row.end_time else f"{text} (running)"


def pretty(value) -> str:
    """JSON text indented for reading; anything else unchanged."""
    if not isinstance(value, str):
        return str(value)
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    if not isinstance(parsed, (dict, list)):
        return value
    return json.dumps(parsed, indent=2, ensure_ascii=False)


@lru_cache(maxsize=1)
def environment():
    from jinja2 import DictLoader, Environment

    env = Environment(loader=DictLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(
        q=path_segment,
        ts=timestamp,
        duration=run_duration,
        pretty=pretty,
        activity_label=lambda kind: ACTIVITY_LABELS.get(kind, kind),
    )
    return env


def page(template: str, status: int = 200, *, viewer: str, refresh: int | None = None, **context):
    from flask import Response

    body = environment().get_template(template).render(viewer=viewer, refresh=refresh, css_url=CSS_URL, **context)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
