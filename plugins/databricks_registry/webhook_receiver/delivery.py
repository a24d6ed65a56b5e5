"""One registry webhook delivery, checked without touching Airflow state: signature, body, freshness, relevance.

Databricks signs the raw body: `X-Databricks-Signature` = hex HMAC-SHA256(secret, body). The body is
`{event, webhook_id, event_timestamp (epoch ms), model_name, version, to_stage, from_stage, text}` (fields vary by
event). Each check raises `DeliveryRejected` with the HTTP status the receiver answers and a reason for its log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from databricks_registry.webhook_receiver.settings import ReceiverSettings

SIGNATURE_HEADER = "X-Databricks-Signature"
Text = Annotated[str, StringConstraints(min_length=1)]


class DeliveryRejected(Exception):
    """The delivery is refused (or ignored, for a 2xx status); nothing is emitted."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _as_text(value: Any) -> Any:
    """Versions and ids are strings on the wire; accept numbers too (a hand-made delivery may send 3)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class RegistryDelivery(BaseModel):
    """The fields the receiver uses; any others are kept in the asset event's extra unchanged."""

    model_config = ConfigDict(extra="allow", frozen=True)

    event: Text
    webhook_id: Annotated[Text, BeforeValidator(_as_text)]
    event_timestamp: Annotated[int, Field(strict=True, gt=0)]
    model_name: Text | None = None
    version: Annotated[Text | None, BeforeValidator(_as_text)] = None
    to_stage: str | None = None
    from_stage: str | None = None
    text: str | None = None

    def replay_key(self) -> str:
        """Same webhook, event, model, version and timestamp = the same delivery (Databricks retries resend it)."""
        parts = [self.webhook_id, self.event, self.model_name or "", self.version or "", str(self.event_timestamp)]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> None:
    """401 unless `header` is the body's HMAC (compared in constant time)."""
    if not header:
        raise DeliveryRejected(401, f"missing {SIGNATURE_HEADER} header")
    if not hmac.compare_digest(signature(secret, body), header.strip().lower()):
        raise DeliveryRejected(401, f"{SIGNATURE_HEADER} does not match the body")


def parse(body: bytes) -> RegistryDelivery:
    """400 with the first problem when the body is not a registry delivery."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise DeliveryRejected(400, f"body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise DeliveryRejected(400, f"body must be a JSON object, got {type(payload).__name__}")
    try:
        return RegistryDelivery.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in error["loc"])
        raise DeliveryRejected(400, f"{field}: {error['msg']}") from None


def check_fresh(delivery: RegistryDelivery, now_seconds: float, max_age_seconds: float) -> None:
    """401 when the event time is further than `max_age_seconds` from now (either way): an old delivery replayed
    after the replay guard forgot it, or a clock far off."""
    age = now_seconds - delivery.event_timestamp / 1000
    if abs(age) > max_age_seconds:
        raise DeliveryRejected(
            401, f"stale delivery: event_timestamp is {age:.0f}s from now (limit {max_age_seconds:.0f}s)"
        )


def check_relevant(delivery: RegistryDelivery, settings: ReceiverSettings) -> None:
    """202 (accepted, ignored) for events or models this receiver does not start runs for."""
    if delivery.event not in settings.events:
        raise DeliveryRejected(202, f"ignored: event {delivery.event} does not start a run")
    if not delivery.model_name or not delivery.version:
        raise DeliveryRejected(400, f"{delivery.event} without model_name and version")
    if not settings.accepts_model(delivery.model_name):
        raise DeliveryRejected(202, f"ignored: model {delivery.model_name!r} is not one this receiver serves")


def asset_event_extra(delivery: RegistryDelivery) -> dict[str, Any]:
    """The webhook event as the asset event's extra (`model_name`, `version`, `to_stage`... as sent)."""
    return {**delivery.model_dump(), "source": "databricks-registry-webhook", "delivery_key": delivery.replay_key()}
