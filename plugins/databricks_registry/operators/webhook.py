"""`RegisterRegistryWebhookOperator`: point a workspace's registry webhook at Airflow's receiver (idempotent)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from databricks_registry.operators.base import RegistryOperator
from databricks_registry.webhook_receiver.registration import DEFAULT_REGISTERED_EVENTS, register_from_settings
from databricks_registry.webhook_receiver.settings import receiver_conn_id


class RegisterRegistryWebhookOperator(RegistryOperator):
    """Create or update the webhook of each model the receiver serves; XCom `[{model_name, webhook_id, action}]`.

    :param receiver_conn_id: the receiver's connection (secret, models, URL; see webhook_receiver/settings.py).
    :param receiver_url: override of the connection's host: the receiver's URL as the workspace reaches it.
    :param events: registry events to subscribe to (default: requests to Staging, as the book does).
    :param status: ACTIVE, TEST_MODE or DISABLED (DISABLED turns push off; the hourly schedule still runs).
    """

    template_fields: Sequence[str] = ("receiver_url", "events", "status")

    def __init__(
        self,
        *,
        receiver_conn_id: str | None = None,
        receiver_url: str | None = None,
        events: Sequence[str] = DEFAULT_REGISTERED_EVENTS,
        status: str = "ACTIVE",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.receiver_conn_id = receiver_conn_id
        self.receiver_url = receiver_url
        self.events = list(events)
        self.status = status

    def execute(self, context: Any) -> list[dict[str, str]]:
        from databricks_registry.webhook_receiver.register import load_settings

        settings = load_settings(self.receiver_conn_id or receiver_conn_id())
        done = register_from_settings(self.hook, settings, self.receiver_url or None, self.events, self.status)
        for registered in done:
            self.log.info("%s", registered)
        return [{"model_name": r.model_name, "webhook_id": r.webhook_id, "action": r.action} for r in done]
