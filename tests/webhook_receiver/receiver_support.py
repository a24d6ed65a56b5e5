"""Helpers for the receiver tests: signed deliveries as Databricks sends them, and the receiver's connection."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from databricks_registry.webhook_receiver.delivery import SIGNATURE_HEADER, signature

SECRET = "test-webhook-secret-" + os.urandom(4).hex()


def receiver_connection(models: list[str], asset: str, secret: str = SECRET, **extra: Any) -> str:
    """`AIRFLOW_CONN_DATABRICKS_REGISTRY_WEBHOOK` value (JSON form)."""
    return json.dumps({"conn_type": "http", "password": secret, "extra": {"models": models, "asset": asset, **extra}})


def payload(model_name: str, version: str = "1", **fields: Any) -> dict[str, Any]:
    return {
        "event": "TRANSITION_REQUEST_TO_STAGING_CREATED",
        "webhook_id": "wh-" + os.urandom(4).hex(),
        "event_timestamp": int(time.time() * 1000),
        "model_name": model_name,
        "version": version,
        "to_stage": "Staging",
        "from_stage": "None",
        "text": "please test",
        **fields,
    }


def signed(body: dict[str, Any] | bytes, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, raw)}
