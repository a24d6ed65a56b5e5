"""The receiver's FastAPI app, mounted by the plugin at `/databricks-webhooks` in Airflow's API server.

`POST /databricks-webhooks/registry` takes one Databricks registry webhook delivery:
401 bad or missing signature, or stale event time; 400 body that is not a registry delivery; 202 an event or
model this receiver does not start runs for; 200 `{"status": "duplicate"}` a delivery already received (a replay, or
Databricks retrying one whose answer it lost); 200 `{"status": "emitted", ...}` an asset event was emitted;
503 the receiver or its asset is not set up (Databricks retries later). Only the last emits anything.

Airflow's auth manager does not guard plugin apps (its checks are per-route dependencies of Airflow's own API), so
this route needs no Airflow login: the HMAC signature is its authentication. See README "Push flow".
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from databricks_registry.webhook_receiver import delivery as checks
from databricks_registry.webhook_receiver.settings import (
    ROUTE,
    SECRET_VARIABLE,
    ReceiverConfigError,
    ReceiverSettings,
    receiver_conn_id,
)

log = logging.getLogger(__name__)
app = FastAPI(title="Databricks registry webhook receiver", docs_url=None, redoc_url=None, openapi_url=None)


def load_settings() -> ReceiverSettings:
    """Read on every delivery, so a rotated secret or a new model applies without restarting the API server."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection
    from airflow.models.variable import Variable

    conn_id = receiver_conn_id()
    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        raise ReceiverConfigError(f"connection {conn_id!r} is not defined") from None
    fallback = None if conn.password else Variable.get(SECRET_VARIABLE, default_var=None)
    return ReceiverSettings.from_connection(conn, fallback)


def _answer(http_status: int, **body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=http_status)


@app.post(ROUTE)
async def receive(request: Request) -> JSONResponse:
    body = await request.body()
    try:
        settings = await run_in_threadpool(load_settings)  # DB reads: off the event loop
    except ReceiverConfigError as exc:
        log.error("Databricks webhook receiver is not configured: %s", exc)
        return _answer(503, status="not_configured", detail="receiver not configured (see the API server log)")
    try:
        checks.verify_signature(settings.secret, body, request.headers.get(checks.SIGNATURE_HEADER))
        received = checks.parse(body)
        checks.check_fresh(received, time.time(), settings.max_age_seconds)
        checks.check_relevant(received, settings)
    except checks.DeliveryRejected as rejected:
        level = logging.INFO if rejected.status < 300 else logging.WARNING
        log.log(level, "Databricks webhook delivery %s: %s", rejected.status, rejected.reason)
        status = "ignored" if rejected.status < 300 else "rejected"
        return _answer(rejected.status, status=status, detail=rejected.reason)
    return await run_in_threadpool(_emit, settings, received)


def _emit(settings: ReceiverSettings, received: checks.RegistryDelivery) -> JSONResponse:
    from airflow.utils.session import create_session

    from databricks_registry.webhook_receiver.store import AssetNotFound, emit_once, ensure_table

    try:
        with create_session() as session:
            ensure_table(session)
            event = emit_once(
                session,
                settings.asset,
                received.replay_key(),
                checks.asset_event_extra(received),
                datetime.now(UTC),
                settings.max_age_seconds,
            )
    except AssetNotFound as exc:
        log.error("Databricks webhook delivery not emitted: %s", exc)
        return _answer(503, status="asset_not_found", detail="asset not found (see the API server log)")
    if event is None:
        log.info("Databricks webhook delivery %s already received; nothing emitted", received.replay_key()[:12])
        return _answer(200, status="duplicate")
    log.info(
        "Databricks webhook %s for %r v%s: asset event %s on %s",
        received.event,
        received.model_name,
        received.version,
        event.id,
        settings.asset,
    )
    return _answer(200, status="emitted", asset_event_id=event.id, asset=settings.asset)
