"""The test notebook's input: a Databricks registry job-webhook payload (`event_message` widget)."""

from __future__ import annotations

import json
from dataclasses import dataclass

STAGES = ("None", "Staging", "Production", "Archived")


class EventMessageError(ValueError):
    """`event_message` cannot be used: the message says exactly why."""


@dataclass(frozen=True)
class ModelEvent:
    model_name: str
    version: str
    to_stage: str
    event: str = ""
    from_stage: str | None = None
    event_timestamp: int | None = None
    text: str = ""
    webhook_id: str | None = None

    @classmethod
    def parse(cls, raw: str | dict) -> ModelEvent:
        """Parse the JSON payload; extra fields (webhook_id, requester, comment, ...) are accepted."""
        payload = _load(raw)
        name = payload.get("model_name")
        if not isinstance(name, str) or not name.strip():
            raise EventMessageError(f"event_message.model_name must be a non-empty string, got {name!r}")
        version = payload.get("version")
        text = str(version).strip() if isinstance(version, (str, int)) and not isinstance(version, bool) else ""
        if not text.isdigit() or int(text) < 1:
            raise EventMessageError(
                f'event_message.version must be a positive integer (as a string, e.g. "3"), got {version!r}'
            )
        to_stage = payload.get("to_stage")
        if to_stage not in STAGES:
            raise EventMessageError(f"event_message.to_stage must be one of {list(STAGES)}, got {to_stage!r}")
        from_stage = payload.get("from_stage")
        if from_stage is not None and from_stage not in STAGES:
            raise EventMessageError(f"event_message.from_stage must be one of {list(STAGES)}, got {from_stage!r}")
        timestamp = payload.get("event_timestamp")
        if timestamp is not None and (isinstance(timestamp, bool) or not isinstance(timestamp, (int, float))):
            raise EventMessageError(f"event_message.event_timestamp must be epoch milliseconds, got {timestamp!r}")
        for key in ("event", "text"):
            if payload.get(key) is not None and not isinstance(payload[key], str):
                raise EventMessageError(f"event_message.{key} must be a string, got {payload[key]!r}")
        webhook_id = payload.get("webhook_id")
        return cls(
            model_name=name,
            version=str(int(text)),
            to_stage=to_stage,
            event=payload.get("event") or "",
            from_stage=from_stage,
            event_timestamp=int(timestamp) if timestamp is not None else None,
            text=payload.get("text") or "",
            webhook_id=None if webhook_id is None else str(webhook_id),
        )


def _load(raw: str | dict) -> dict:
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        raise EventMessageError(
            "event_message is empty: expected the registry webhook JSON "
            '{"event", "model_name", "version", "to_stage", "from_stage", "event_timestamp", "text"}'
        )
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise EventMessageError(f"event_message is not valid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(payload, dict):
        raise EventMessageError(f"event_message must be a JSON object, got {type(payload).__name__}")
    return payload
