"""Parameters of `registry-webhooks/*` as pydantic models; an invalid one is a 400 `INVALID_PARAMETER_VALUE`
naming the field (`http_url_spec.url: ...`)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, StringConstraints

from local_workspace.errors import DatabricksApiError
from local_workspace.limits import MAX_DESCRIPTION_CHARS, MAX_STRING_FIELD_CHARS, parse_int64
from local_workspace.registry.requests import Flag, OptionalText
from local_workspace.validation import RequestModel, ShortText, int64, invalid, rejected
from local_workspace.webhooks.events import EVENTS
from local_workspace.webhooks.models import ACTIVE, DISABLED, TEST_MODE

STATUSES = (ACTIVE, DISABLED, TEST_MODE)


def _event(value: Any) -> Any:
    if value not in EVENTS:
        raise invalid(f"unknown event {str(value)[:60]!r}; valid events: {', '.join(EVENTS)}")
    return value


def _events(value: list[str]) -> list[str]:
    if not value:
        raise invalid("at least one event is required")
    return list(dict.fromkeys(value))  # each event once, in the order given


def _status(value: Any) -> Any:
    if value not in STATUSES:
        raise invalid(f"must be one of {', '.join(STATUSES)}")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("must be an http:// or https:// URL")  # never echo it: it may carry a credential
    return value


def _workspace_url(value: str | None) -> str | None:
    return None if value is None else _http_url(value)


def _job_id(value: Any) -> str:
    # A string in databricks-sdk's JobSpec holding the Jobs API's number; a JSON number is accepted too.
    try:
        return str(parse_int64(value, "job_spec.job_id", minimum=1))
    except DatabricksApiError as exc:
        raise rejected(exc.message) from None


Event = Annotated[str, BeforeValidator(_event)]
Events = Annotated[list[Event], AfterValidator(_events)]
Status = Annotated[str, BeforeValidator(_status)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=MAX_STRING_FIELD_CHARS), AfterValidator(_http_url)]
Description = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_CHARS)] | None
Secret = Annotated[str, StringConstraints(max_length=MAX_STRING_FIELD_CHARS)] | None
JobId = Annotated[str, BeforeValidator(_job_id)]


class HttpUrlSpec(RequestModel):
    url: Url
    secret: Secret = None
    authorization: Secret = None
    enable_ssl_verification: Flag = True


class JobSpec(RequestModel):
    job_id: JobId
    access_token: ShortText
    workspace_url: Annotated[OptionalText, AfterValidator(_workspace_url)] = None


class WebhookSpec(RequestModel):
    """The fields create and update share; on update, a field left out keeps its value."""

    events: Events | None = None
    description: Description = None
    status: Status | None = None
    http_url_spec: HttpUrlSpec | None = None
    job_spec: JobSpec | None = None


class NewWebhook(WebhookSpec):
    events: Events
    model_name: OptionalText = None


class WebhookChange(WebhookSpec):
    id: ShortText


class WebhookRef(RequestModel):
    id: ShortText


class WebhookTest(WebhookRef):
    event: Event | None = None


class WebhooksPage(RequestModel):
    model_name: OptionalText = None
    events: list[Event] = []
    max_results: Annotated[int, int64(minimum=1, maximum=1000)] = 100
    page_token: OptionalText = None


class DeliveriesFilter(RequestModel):
    webhook_id: OptionalText = None
    status: OptionalText = None
    max_results: Annotated[int, int64(minimum=1, maximum=1000)] = 1000
