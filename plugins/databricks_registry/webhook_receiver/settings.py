"""The receiver's configuration: one Airflow connection (default `databricks_registry_webhook`).

* password: the webhook secret Databricks signs deliveries with (`X-Databricks-Signature`); an Airflow variable
  (`databricks_registry_webhook_secret`) is the fallback when the connection has none.
* host (+ schema/port): the receiver's URL as the workspace reaches it, used only when registering the webhook.
* extra (JSON): `models` (names or fnmatch patterns; required: a delivery for any other model is ignored),
  `asset` (URI or name of the asset to emit on, default the churn transition-requests asset), `events` (the
  registry events that emit; default the transition-request-created family), `max_age_seconds` (default 300:
  older or future-dated deliveries are refused as stale).
"""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass
from typing import Any

CONN_ID_ENV = "DATABRICKS_REGISTRY_WEBHOOK_CONN_ID"
DEFAULT_CONN_ID = "databricks_registry_webhook"
SECRET_VARIABLE = "databricks_registry_webhook_secret"
URL_PREFIX = "/databricks-webhooks"
ROUTE = "/registry"
# The churn promotion DAG's asset (include/churn_pipeline/assets.py), so a default setup needs no `asset` extra.
DEFAULT_ASSET = "databricks-registry://workspace/transition-requests/churn-model"
DEFAULT_EVENTS = (
    "TRANSITION_REQUEST_CREATED",
    "TRANSITION_REQUEST_TO_STAGING_CREATED",
    "TRANSITION_REQUEST_TO_PRODUCTION_CREATED",
)
DEFAULT_MAX_AGE_SECONDS = 300


class ReceiverConfigError(ValueError):
    """The receiver's connection is missing or wrong; the message names the field."""


@dataclass(frozen=True)
class ReceiverSettings:
    secret: str
    models: tuple[str, ...]
    asset: str = DEFAULT_ASSET
    events: tuple[str, ...] = DEFAULT_EVENTS
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS
    receiver_url: str | None = None

    def accepts_model(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.models)

    @classmethod
    def from_connection(cls, conn: Any, fallback_secret: str | None = None) -> ReceiverSettings:
        """Settings from an Airflow connection object (core or Task SDK: both have password, host, extra)."""
        conn_id = getattr(conn, "conn_id", DEFAULT_CONN_ID)
        extra = _extra(conn, conn_id)
        secret = conn.password or fallback_secret
        if not secret:
            raise ReceiverConfigError(
                f"connection {conn_id!r} has no password (the webhook secret) and variable {SECRET_VARIABLE!r} is unset"
            )
        models = _strings(extra.get("models"), "models", conn_id)
        if not models:
            raise ReceiverConfigError(f"connection {conn_id!r}: extra `models` must name at least one model")
        events = _strings(extra.get("events", list(DEFAULT_EVENTS)), "events", conn_id)
        max_age = extra.get("max_age_seconds", DEFAULT_MAX_AGE_SECONDS)
        if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or max_age <= 0:
            raise ReceiverConfigError(f"connection {conn_id!r}: extra max_age_seconds must be > 0, got {max_age!r}")
        asset = extra.get("asset", DEFAULT_ASSET)
        if not isinstance(asset, str) or not asset:
            raise ReceiverConfigError(f"connection {conn_id!r}: extra `asset` must be an asset URI or name")
        return cls(secret, models, asset, events, float(max_age), _receiver_url(conn))


def receiver_conn_id() -> str:
    return os.environ.get(CONN_ID_ENV, DEFAULT_CONN_ID)


def _extra(conn: Any, conn_id: str) -> dict[str, Any]:
    raw = conn.extra or "{}"
    try:
        extra = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        raise ReceiverConfigError(f"connection {conn_id!r}: extra is not JSON ({exc})") from None
    if not isinstance(extra, dict):
        raise ReceiverConfigError(f"connection {conn_id!r}: extra must be a JSON object")
    return extra


def _strings(value: Any, field: str, conn_id: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ReceiverConfigError(f"connection {conn_id!r}: extra {field} must be a list of strings, got {value!r}")
    return tuple(value)


def _receiver_url(conn: Any) -> str | None:
    """`host` as given when it is a full URL, else built from schema (http/https), host, port."""
    host = (conn.host or "").strip()
    if not host:
        return None
    if "://" in host:
        return host.rstrip("/")
    scheme = conn.schema or "https"
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{host}{port}{URL_PREFIX}{ROUTE}"
