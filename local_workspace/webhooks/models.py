"""The webhooks and their deliveries (the outbox), in the workspace database.

Secrets (`secret`, `authorization`, `access_token`) are stored here and nowhere else: answers use
`to_dict`, which never includes them, and the deliverer reads them only to send a delivery.
"""

from __future__ import annotations

import json
import time
import uuid

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from local_workspace.db import Base

ACTIVE, DISABLED, TEST_MODE = "ACTIVE", "DISABLED", "TEST_MODE"
# Delivery states: PENDING (due at next_attempt_at), DELIVERING (claimed by a deliverer until claimed_until),
# DELIVERED (a 2xx answer), FAILED (out of attempts, or a test delivery that did not succeed).
PENDING, DELIVERING, DELIVERED, FAILED = "PENDING", "DELIVERING", "DELIVERED", "FAILED"


def now_ms() -> int:
    return int(time.time() * 1000)


def new_webhook_id() -> str:
    return uuid.uuid4().hex


def _without_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


class WebhookRow(Base):
    __tablename__ = "registry_webhooks"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_name: Mapped[str | None] = mapped_column(String(512), nullable=True, index=True)  # None: registry-wide
    events_json: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    # HTTP webhooks
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    authorization: Mapped[str | None] = mapped_column(Text, nullable=True)
    enable_ssl_verification: Mapped[bool] = mapped_column(Boolean, default=True)
    # Job webhooks
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    workspace_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    creation_timestamp: Mapped[int] = mapped_column(BigInteger)
    last_updated_timestamp: Mapped[int] = mapped_column(BigInteger)

    @property
    def events(self) -> list[str]:
        return json.loads(self.events_json)

    @property
    def secrets(self) -> list[str]:
        """Values that must never appear in a log line or a recorded error."""
        return [v for v in (self.secret, self.authorization, self.access_token) if v]

    def to_dict(self) -> dict:
        """`RegistryWebhook`: `HttpUrlSpecWithoutSecret` / `JobSpecWithoutSecret`, never a secret."""
        http_url_spec = {"url": self.url, "enable_ssl_verification": self.enable_ssl_verification} if self.url else None
        job_spec = _without_none({"job_id": self.job_id, "workspace_url": self.workspace_url}) if self.job_id else None
        return _without_none(
            {
                "id": self.id,
                "creation_timestamp": self.creation_timestamp,
                "last_updated_timestamp": self.last_updated_timestamp,
                "description": self.description,
                "events": self.events,
                "http_url_spec": http_url_spec,
                "job_spec": job_spec,
                "model_name": self.model_name,
                "status": self.status,
            }
        )


class DeliveryRow(Base):
    """One delivery of one event to one webhook; the body is fixed at creation, so every retry sends (and signs)
    the same bytes."""

    __tablename__ = "registry_webhook_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(String(32), index=True)
    event: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    creation_timestamp: Mapped[int] = mapped_column(BigInteger)
    last_attempt_timestamp: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    delivered_timestamp: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    def to_dict(self) -> dict:
        return _without_none(
            {
                "id": str(self.id),
                "webhook_id": self.webhook_id,
                "event": self.event,
                "payload": json.loads(self.body),
                "test": self.test,
                "status": self.status,
                "attempts": self.attempts,
                "last_status_code": self.last_status_code,
                "last_error": self.last_error,
                "creation_timestamp": self.creation_timestamp,
                "last_attempt_timestamp": self.last_attempt_timestamp,
                "next_attempt_timestamp": self.next_attempt_at if self.status == PENDING else None,
                "delivered_timestamp": self.delivered_timestamp,
            }
        )
