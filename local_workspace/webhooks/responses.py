"""HTTP handlers of `registry-webhooks/*` (Databricks' shapes) and the local-only deliveries record.

Who may manage webhooks: Databricks asks CAN_MANAGE on the model for a model-scoped webhook and workspace admin for
a registry-wide one; this workspace has no admin group, so both need CAN_MANAGE (the main token's user, and every
user the users file gives no lower level). Listing and reading deliveries need it too: URLs can carry credentials.
"""

from __future__ import annotations

import json

from flask import jsonify, request
from sqlalchemy import select

from local_workspace.context import current_config, require_user
from local_workspace.db import session_scope
from local_workspace.errors import DatabricksApiError, invalid_parameter, not_found
from local_workspace.registry import mlflow_store
from local_workspace.registry.permissions import DEFAULT_LEVEL, permission_level
from local_workspace.registry.responses import _params as params  # the registry's query/body parsing
from local_workspace.validation import validate
from local_workspace.webhooks import delivery, events
from local_workspace.webhooks.models import DeliveryRow, WebhookRow, new_webhook_id, now_ms
from local_workspace.webhooks.requests import (
    DeliveriesFilter,
    HttpUrlSpec,
    JobSpec,
    NewWebhook,
    WebhookChange,
    WebhookRef,
    WebhooksPage,
    WebhookTest,
)

TEST_TEXT = "Registry webhook test"


def _db():
    return current_config().db_path


def _require_manage() -> str:
    user = require_user()
    if permission_level(user) != DEFAULT_LEVEL:
        raise DatabricksApiError(
            "PERMISSION_DENIED", f"User {user} does not have permission to manage registry webhooks (CAN_MANAGE)."
        )
    return user


def _check_events(events_: list[str], model_name: str | None) -> None:
    if model_name is not None and events.REGISTRY_WIDE_ONLY & set(events_):
        raise invalid_parameter(
            "events: REGISTERED_MODEL_CREATED can only be used by a registry-wide webhook (without model_name)."
        )


def _apply_spec(row: WebhookRow, http_url_spec: HttpUrlSpec | None, job_spec: JobSpec | None) -> None:
    if http_url_spec is not None and job_spec is not None:
        raise invalid_parameter("Only one of http_url_spec and job_spec may be given.")
    if http_url_spec is not None:
        row.url, row.secret = http_url_spec.url, http_url_spec.secret or None
        row.authorization = http_url_spec.authorization or None  # "" means: send no Authorization header
        row.enable_ssl_verification = http_url_spec.enable_ssl_verification
        row.job_id = row.workspace_url = row.access_token = None
    elif job_spec is not None:
        row.job_id, row.workspace_url, row.access_token = job_spec.job_id, job_spec.workspace_url, job_spec.access_token
        row.url = row.secret = row.authorization = None
        row.enable_ssl_verification = True


def _webhook(session, webhook_id: str) -> WebhookRow:
    row = session.get(WebhookRow, webhook_id)
    if row is None:
        raise not_found(f"Webhook with ID {webhook_id} does not exist.")
    return row


def create_webhook():
    p = params(NewWebhook)
    _require_manage()
    if p.http_url_spec is None and p.job_spec is None:
        raise invalid_parameter("One of http_url_spec and job_spec is required.")
    _check_events(p.events, p.model_name)
    if p.model_name is not None:
        mlflow_store.get_registered_model(p.model_name)  # RESOURCE_DOES_NOT_EXIST for an unknown model
    now = now_ms()
    row = WebhookRow(
        id=new_webhook_id(),
        model_name=p.model_name,
        events_json=json.dumps(p.events),
        description=p.description or None,
        status=p.status or "ACTIVE",
        creation_timestamp=now,
        last_updated_timestamp=now,
    )
    _apply_spec(row, p.http_url_spec, p.job_spec)
    with session_scope(_db()) as session:
        session.add(row)
    return jsonify({"webhook": row.to_dict()})


def update_webhook():
    p = params(WebhookChange)
    _require_manage()
    with session_scope(_db()) as session:
        row = _webhook(session, p.id)
        if p.events is not None:
            _check_events(p.events, row.model_name)
            row.events_json = json.dumps(p.events)
        if p.description is not None:
            row.description = p.description or None
        if p.status is not None:
            row.status = p.status
        _apply_spec(row, p.http_url_spec, p.job_spec)
        row.last_updated_timestamp = now_ms()
        return jsonify({"webhook": row.to_dict()})


def delete_webhook():
    p = params(WebhookRef)
    _require_manage()
    with session_scope(_db()) as session:
        session.delete(_webhook(session, p.id))
    return jsonify({})


def _page_params() -> WebhooksPage:
    data: dict = dict(request.args)
    if "events" in request.args:  # repeated in the query string: events=A&events=B
        data["events"] = request.args.getlist("events")
    return validate(WebhooksPage, data)


def list_webhooks():
    p = _page_params()
    _require_manage()
    offset = _offset(p.page_token)
    with session_scope(_db()) as session:
        query = select(WebhookRow).order_by(WebhookRow.creation_timestamp, WebhookRow.id)
        if p.model_name is not None:
            query = query.where(WebhookRow.model_name == p.model_name)
        rows = [r for r in session.scalars(query) if not p.events or set(p.events) & set(r.events)]
    page = rows[offset : offset + p.max_results]
    answer: dict = {"webhooks": [r.to_dict() for r in page]}
    if offset + p.max_results < len(rows):
        answer["next_page_token"] = str(offset + p.max_results)
    return jsonify(answer)


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    if not token.isdigit() or len(token) > 9:
        raise invalid_parameter("Invalid page_token.")
    return int(token)


def _test_fields(event: str, model_name: str | None) -> dict:
    fields: dict = {"model_name": model_name or "example_model"}
    if event != events.REGISTERED_MODEL_CREATED:
        fields["version"] = "1"
    if "TRANSITION" in event:
        to_stage = next((s for s in ("Staging", "Production", "Archived") if s.upper() in event), "Staging")
        fields.update(from_stage="None", to_stage=to_stage)
    if event == events.COMMENT_CREATED:
        fields["comment"] = TEST_TEXT
    if event == events.MODEL_VERSION_TAG_SET:
        fields["tags"] = [{"key": "test_key", "value": "test_value"}]
    return fields


def test_webhook():
    """Send one test delivery now (also in TEST_MODE) and answer what the receiver answered."""
    p = params(WebhookTest)
    _require_manage()
    with session_scope(_db()) as session:
        webhook = _webhook(session, p.id)
    if webhook.status == "DISABLED":
        raise DatabricksApiError("INVALID_STATE", f"Webhook {webhook.id} is DISABLED; enable it to test it.")
    event = p.event or webhook.events[0]
    if event not in webhook.events:
        raise invalid_parameter(f"event: webhook {webhook.id} does not listen to {event}.")
    body = events.payload(event, webhook.id, _test_fields(event, webhook.model_name), text=TEST_TEXT)
    outcome = delivery.send(webhook, body, current_config().base_url)
    _record_test(webhook.id, event, body, outcome)
    if outcome.status_code is None:
        raise invalid_parameter(f"The webhook's endpoint could not be reached: {outcome.error}")
    return jsonify({"status_code": outcome.status_code, "body": outcome.body})


def _record_test(webhook_id: str, event: str, body: str, outcome: delivery.Outcome) -> None:
    row = events.new_delivery(webhook_id, event, body, test=True)
    row.attempts, row.last_attempt_timestamp = 1, now_ms()
    row.status = "DELIVERED" if outcome.ok else "FAILED"
    row.last_status_code, row.last_error = outcome.status_code, None if outcome.ok else outcome.error
    row.delivered_timestamp = row.last_attempt_timestamp if outcome.ok else None
    with session_scope(_db()) as session:
        session.add(row)


def list_deliveries():
    """Local-only: what was queued and sent, newest first (Databricks has no such endpoint)."""
    p = params(DeliveriesFilter)
    _require_manage()
    with session_scope(_db()) as session:
        query = select(DeliveryRow).order_by(DeliveryRow.id.desc()).limit(p.max_results)
        if p.webhook_id is not None:
            query = query.where(DeliveryRow.webhook_id == p.webhook_id)
        if p.status is not None:
            query = query.where(DeliveryRow.status == p.status)
        return jsonify({"deliveries": [r.to_dict() for r in session.scalars(query)]})
