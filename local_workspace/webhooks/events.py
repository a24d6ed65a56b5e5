"""Registry events and the outbox: each event becomes one delivery row per matching webhook.

`enqueue` runs inside the transaction that records the event (a transition request, a comment, a stage change),
so a delivery is committed exactly when the event is. It never raises: a webhook problem must not fail the
registry call that caused the event (it is logged instead). Events of MLflow's own endpoints (versions, models,
tags) live in mlflow.db, which cannot share a transaction with workspace.db: they are queued right after MLflow
committed (see `install`).
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from local_workspace.webhooks.models import ACTIVE, PENDING, DeliveryRow, WebhookRow, now_ms

log = logging.getLogger(__name__)

MODEL_VERSION_CREATED = "MODEL_VERSION_CREATED"
MODEL_VERSION_TRANSITIONED_STAGE = "MODEL_VERSION_TRANSITIONED_STAGE"
TRANSITION_REQUEST_CREATED = "TRANSITION_REQUEST_CREATED"
COMMENT_CREATED = "COMMENT_CREATED"
REGISTERED_MODEL_CREATED = "REGISTERED_MODEL_CREATED"
MODEL_VERSION_TAG_SET = "MODEL_VERSION_TAG_SET"
# databricks-sdk's RegistryWebhookEvent, in its documentation's order.
EVENTS = (
    MODEL_VERSION_CREATED,
    MODEL_VERSION_TRANSITIONED_STAGE,
    TRANSITION_REQUEST_CREATED,
    COMMENT_CREATED,
    REGISTERED_MODEL_CREATED,
    MODEL_VERSION_TAG_SET,
    "MODEL_VERSION_TRANSITIONED_TO_STAGING",
    "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION",
    "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED",
    "TRANSITION_REQUEST_TO_STAGING_CREATED",
    "TRANSITION_REQUEST_TO_PRODUCTION_CREATED",
    "TRANSITION_REQUEST_TO_ARCHIVED_CREATED",
)
# Only registry-wide webhooks may listen to these (a model-scoped one would never see its model created).
REGISTRY_WIDE_ONLY = frozenset({REGISTERED_MODEL_CREATED})


def _stage_specific(template: str, stage: str) -> list[str]:
    # There is no ..._TO_NONE event: a move to stage None fires only the generic event.
    name = template.format(stage=stage.upper())
    return [name] if name in EVENTS else []


def transitioned_events(to_stage: str) -> list[str]:
    return [MODEL_VERSION_TRANSITIONED_STAGE, *_stage_specific("MODEL_VERSION_TRANSITIONED_TO_{stage}", to_stage)]


def request_created_events(to_stage: str) -> list[str]:
    return [TRANSITION_REQUEST_CREATED, *_stage_specific("TRANSITION_REQUEST_TO_{stage}_CREATED", to_stage)]


def _text(event: str, fields: dict) -> str:
    """A one-line summary (Databricks sends `text`, readable as a chat message)."""
    name, version = fields.get("model_name"), fields.get("version")
    subject = f"Version {version} of model '{name}'" if version else f"Model '{name}'"
    if event == TRANSITION_REQUEST_CREATED or event.startswith("TRANSITION_REQUEST_TO_"):
        return f"A transition of {subject[0].lower()}{subject[1:]} to {fields.get('to_stage')} was requested."
    if event.startswith("MODEL_VERSION_TRANSITIONED"):
        return f"{subject} was transitioned from {fields.get('from_stage')} to {fields.get('to_stage')}."
    return {
        MODEL_VERSION_CREATED: f"{subject} was created.",
        REGISTERED_MODEL_CREATED: f"{subject} was created.",
        COMMENT_CREATED: f"A comment was added to {subject[0].lower()}{subject[1:]}.",
        MODEL_VERSION_TAG_SET: f"A tag was set on {subject[0].lower()}{subject[1:]}.",
    }.get(event, subject)


def payload(event: str, webhook_id: str, fields: dict, text: str | None = None, timestamp: int | None = None) -> str:
    """The JSON body Databricks sends: `event, webhook_id, event_timestamp` and the event's own fields."""
    body = {"event": event, "webhook_id": webhook_id, "event_timestamp": timestamp or now_ms()}
    body.update({k: v for k, v in fields.items() if v is not None})
    body["text"] = text or _text(event, fields)
    return json.dumps(body)


def matching_webhooks(session: Session, event: str, model_name: str | None) -> list[WebhookRow]:
    """ACTIVE webhooks of this model or registry-wide that listen to `event` (TEST_MODE ones fire only via test)."""
    scope: ColumnElement[bool] = WebhookRow.model_name.is_(None)
    if model_name is not None:
        scope = or_(scope, WebhookRow.model_name == model_name)
    rows = session.scalars(select(WebhookRow).where(WebhookRow.status == ACTIVE, scope).order_by(WebhookRow.id))
    return [row for row in rows if event in row.events]


def new_delivery(webhook_id: str, event: str, body: str, *, test: bool = False) -> DeliveryRow:
    now = now_ms()
    return DeliveryRow(
        webhook_id=webhook_id,
        event=event,
        body=body,
        test=test,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        creation_timestamp=now,
    )


def enqueue(session: Session, events: list[str], model_name: str, **fields) -> int:
    """Add a delivery per (event, matching webhook) to `session`'s transaction; returns how many. Never raises."""
    try:
        timestamp = now_ms()
        fields = {"model_name": model_name, **fields}
        count = 0
        for event in events:
            for webhook in matching_webhooks(session, event, model_name):
                session.add(new_delivery(webhook.id, event, payload(event, webhook.id, fields, timestamp=timestamp)))
                count += 1
        return count
    except Exception:
        log.exception("Could not queue webhook deliveries for %s of model %r.", events, model_name)
        return 0


def enqueue_committed(db, events: list[str], model_name: str, **fields) -> None:
    """`enqueue` in a transaction of its own (for events MLflow already committed). Never raises."""
    from local_workspace.db import session_scope

    try:
        with session_scope(db) as session:
            enqueue(session, events, model_name, **fields)
    except Exception:
        log.exception("Could not queue webhook deliveries for %s of model %r.", events, model_name)
