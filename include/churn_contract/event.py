"""The test notebook's input: widget `event_message`, the JSON a Databricks registry job webhook sends
`{event, model_name, version, to_stage, from_stage, event_timestamp, text}`. The promotion DAG sends the same shape
(its sensor's event, which adds `requester`, `comment`, `creation_timestamp`), so one notebook serves both.

Unity Catalog events (the UC sensor's, `registry: "uc"`) have no stages: `to_stage` is null there. `registry` is
optional; without it a three-level name (`catalog.schema.model`) means Unity Catalog. A workspace-registry event
still needs `to_stage` (the stage whose version is the champion)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Strict, ValidationError, model_validator

from churn_contract.results import ModelVersion, none_as, not_blank
from churn_contract.unity_catalog import RegistryMode, registry_of_name

Stage = Literal["None", "Staging", "Production", "Archived"]
MISSING_STAGE = "to_stage is missing: a workspace-registry event names the stage its version is put up for"
SHAPE = '{"event", "model_name", "version", "to_stage", "from_stage", "event_timestamp", "text"}'


class EventMessageError(ValueError):
    """`event_message` cannot be used: the message says exactly why."""


def _epoch_millis(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be epoch milliseconds")
    return int(value)


class ModelEvent(BaseModel):
    """A registry event about one model version; extra fields (webhook_id, requester, comment, ...) are accepted."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    model_name: Annotated[str, Strict(), AfterValidator(not_blank)]
    version: ModelVersion
    to_stage: Stage | None = None
    registry: RegistryMode | None = None  # None: read from the model name (see `_registry_and_stage`)
    event: Annotated[str, Strict(), none_as("")] = ""
    from_stage: Stage | None = None
    event_timestamp: Annotated[int | None, BeforeValidator(_epoch_millis)] = None
    text: Annotated[str, Strict(), none_as("")] = ""
    webhook_id: Annotated[str | None, BeforeValidator(lambda v: None if v is None else str(v))] = None

    @model_validator(mode="before")
    @classmethod
    def _registry_and_stage(cls, payload: Any) -> Any:
        if not isinstance(payload, dict):
            return payload
        if payload.get("registry") is None and isinstance(payload.get("model_name"), str):
            payload = {**payload, "registry": registry_of_name(payload["model_name"])}
        if payload.get("registry") == "workspace" and payload.get("to_stage") is None:
            raise ValueError(MISSING_STAGE)
        return payload

    @property
    def is_unity_catalog(self) -> bool:
        return self.registry == "uc"

    @classmethod
    def parse(cls, raw: str | dict) -> ModelEvent:
        """The event in `raw` (JSON text or its decoded object); `EventMessageError` names the bad field."""
        payload = _load(raw)
        try:
            return cls.model_validate(payload)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            field = ".".join(str(part) for part in error["loc"])
            if not field:  # a whole-event rule (`_registry_and_stage`)
                raise EventMessageError(f"event_message.{error['msg'].removeprefix('Value error, ')}") from None
            if error["type"] == "missing":
                raise EventMessageError(f"event_message.{field} is missing (keys: {sorted(payload)})") from None
            reason = error["msg"].removeprefix("Value error, ")
            raise EventMessageError(f"event_message.{field}: {reason}, got {error['input']!r}") from None


def _load(raw: str | dict) -> dict:
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        raise EventMessageError(f"event_message is empty: expected the registry webhook JSON {SHAPE}")
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise EventMessageError(f"event_message is not valid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(payload, dict):
        raise EventMessageError(f"event_message must be a JSON object, got {type(payload).__name__}")
    return payload
