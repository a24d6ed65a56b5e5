"""Request bodies validated by pydantic models, rejected in Databricks' shape.

A model's first error becomes 400 `INVALID_PARAMETER_VALUE` with a message naming the field
(`tasks[0].notebook_task.notebook_path: ...`), as Databricks answers. Validators raise `invalid(...)` with what
is wrong (the field's path is put in front) or `rejected(...)` with a whole sentence. Messages never echo the
(possibly huge) input back.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from local_workspace.errors import DatabricksApiError, invalid_parameter
from local_workspace.limits import INT64_MAX, MAX_STRING_FIELD_CHARS, parse_int64

ABOUT_FIELD = "local_workspace_field"  # a validator's message, shown after the field's path
SENTENCE = "local_workspace_sentence"  # a validator's message that names its field itself, shown as it is
MAX_LOCATION_PART_CHARS = 40

Model = TypeVar("Model", bound=BaseModel)


class RequestModel(BaseModel):
    """Strict about types (no "1" for a string, no 1.0 for an integer), open to fields we do not use."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


def invalid(message: str) -> PydanticCustomError:
    """What is wrong with the field being validated ("must be ..."); its path goes in front."""
    return PydanticCustomError(ABOUT_FIELD, "{message}", {"message": message})


def rejected(sentence: str) -> PydanticCustomError:
    return PydanticCustomError(SENTENCE, "{message}", {"message": sentence})


def field_path(location: tuple[int | str, ...]) -> str:
    """("tasks", 0, "notebook_task") -> "tasks[0].notebook_task" (long keys shortened)."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            text = part if len(part) <= MAX_LOCATION_PART_CHARS else part[:MAX_LOCATION_PART_CHARS] + "..."
            path += f".{text}" if path else text
    return path


def describe(error: ValidationError) -> str:
    """One sentence for the first problem of a request (a client fixes one thing at a time)."""
    first = error.errors(include_url=False, include_input=False)[0]
    field = field_path(tuple(first["loc"]))
    if first["type"] == SENTENCE or (first["type"] == ABOUT_FIELD and not field):
        return first["msg"]
    if first["type"] == ABOUT_FIELD:
        return f"{field}: {first['msg']}"
    if first["type"] == "missing" or (first["type"] == "string_too_short" and first["ctx"]["min_length"] == 1):
        return f"Missing required field: {field}"
    return f"Invalid {field}: {first['msg']}." if field else f"{first['msg']}."


def validate(model: type[Model], data: Any, context: dict[str, Any] | None = None) -> Model:
    """`data` as a `model`, or a Databricks 400 naming the first invalid field."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise invalid_parameter(describe(exc)) from None


def _int64(value: Any, info: ValidationInfo, minimum: int, maximum: int) -> int:
    # Proto3 JSON, as Databricks parses it: an int64 may come as a number or a string of ASCII digits.
    try:
        return parse_int64(value, info.field_name or "value", minimum=minimum, maximum=maximum)
    except DatabricksApiError as exc:
        raise rejected(exc.message) from None


def int64(minimum: int = 0, maximum: int = INT64_MAX) -> BeforeValidator:
    return BeforeValidator(lambda value, info: _int64(value, info, minimum, maximum))


def _number_as_text(value: Any) -> Any:
    # Query strings carry every value as text; JSON clients may send a name or id as a number.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# A short string field of a request (paths, names, stages, tokens): not empty, within the common limit.
ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_STRING_FIELD_CHARS), BeforeValidator(_number_as_text)
]
