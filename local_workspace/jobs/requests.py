"""Parameters of the Jobs API `runs/get|get-output|cancel|list` calls as pydantic models (query string or JSON body);
an invalid one is a 400 `INVALID_PARAMETER_VALUE` naming the field."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, model_validator

from local_workspace.limits import MAX_STRING_FIELD_CHARS
from local_workspace.validation import RequestModel, int64, invalid

MAX_LIST_LIMIT = 25  # Jobs API 2.2 caps runs/list pages at 25
MAX_LIST_JOBS_LIMIT = 100  # jobs/list: "greater than 0 and less or equal to 100"


def _flag(value: Any) -> Any:
    # Query strings say true/false or 1/0 (an empty value is false); JSON bodies say true/false.
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return value
    text = str(value).lower()
    if text in ("true", "1", "false", "0", ""):
        return text in ("true", "1")
    raise invalid(f"must be true or false, got {value!r:.40}.")


def _empty_as_absent(value: Any) -> Any:
    return None if value == "" else value


def _issued_here(token: Any) -> Any:
    if token is not None and page_offset(token) is None:
        raise invalid(f"is not a page token of this server, got {repr(token)[:60]}.")
    return token


Flag = Annotated[bool, BeforeValidator(_flag)]
PageToken = Annotated[Any, BeforeValidator(_empty_as_absent), AfterValidator(_issued_here)]
OptionalInt64 = Annotated[Annotated[int, int64()] | None, BeforeValidator(_empty_as_absent)]


class RunRef(RequestModel):
    run_id: Annotated[int, int64(minimum=1)]


class Paged(RequestModel):
    """`offset`, or a `page_token` this server issued (it wins)."""

    offset: Annotated[int, int64()] = 0
    page_token: PageToken = None

    @property
    def start(self) -> int:
        """Where the page starts."""
        return page_offset(self.page_token) or 0 if self.page_token is not None else self.offset


class ListRunsQuery(Paged):
    active_only: Flag = False
    completed_only: Flag = False
    # "If a request specifies a limit of 0, the service instead uses the maximum limit."
    limit: Annotated[int, int64(minimum=0, maximum=MAX_LIST_LIMIT)] = 20
    run_type: Annotated[Literal["JOB_RUN", "WORKFLOW_RUN", "SUBMIT_RUN"] | None, BeforeValidator(_empty_as_absent)] = (
        None
    )
    expand_tasks: Flag = False
    # A submitted run reports its own id as job_id (its one-time job).
    job_id: Annotated[Annotated[int, int64(minimum=1)] | None, BeforeValidator(_empty_as_absent)] = None
    start_time_from: OptionalInt64 = None
    start_time_to: OptionalInt64 = None

    @model_validator(mode="after")
    def _not_both(self) -> ListRunsQuery:
        if self.active_only and self.completed_only:
            raise invalid("active_only and completed_only cannot both be true.")
        return self

    @property
    def page_size(self) -> int:
        return self.limit or MAX_LIST_LIMIT


class JobRef(RequestModel):
    job_id: Annotated[int, int64(minimum=1)]


class ListJobsQuery(Paged):
    name: Annotated[str | None, BeforeValidator(_empty_as_absent)] = None
    limit: Annotated[int, int64(minimum=1, maximum=MAX_LIST_JOBS_LIMIT)] = 20
    expand_tasks: Flag = False


class UpdateJobRequest(JobRef):
    new_settings: dict[str, Any] | None = None
    fields_to_remove: list[str] = []


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def page_offset(token: Any) -> int | None:
    """The offset in a token `page_token` issued, else None."""
    if isinstance(token, str) and len(token) <= MAX_STRING_FIELD_CHARS:
        try:
            kind, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if kind == "offset" and number.isascii() and number.isdigit() and len(number) <= 18:
            return int(number)
    return None
