"""Size limits of the local workspace and strict parsing of the integers clients send (ids, versions, offsets).

Every limit is documented in the README's limits table; change both together. Where Databricks documents a
limit it is used here (Jobs API requests <= 10 MB, task_key <= 100 characters, notebook parameters <= 10,000
bytes as JSON, runs/list pages <= 25 runs); the others are chosen to stay far above what real clients send.
"""

from __future__ import annotations

import re

from local_workspace.errors import invalid_parameter

MAX_API_BODY_BYTES = 10 * 1024 * 1024  # Databricks: "The maximum allowed size of a request to the Jobs API is 10MB"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024 * 1024  # Files API single-file upload limit (5 GiB)
MAX_JSON_DEPTH = 64  # MLflow parses bodies into protobuf messages, whose parser stops at 100 levels
MAX_COMMENT_CHARS = 65_536  # registry comments carry a test report in markdown
MAX_DESCRIPTION_CHARS = 65_536  # registered model / model version descriptions
MAX_RUN_NAME_CHARS = 4096  # Databricks' limit on job and run names
MAX_TASKS_PER_RUN = 100  # Jobs API 2.1's limit (2.2 allows 1000; the local runner is one machine)
MAX_PARAMETERS_JSON_BYTES = 10_000  # Databricks: notebook parameters cannot exceed 10,000 bytes as JSON
MAX_STRING_FIELD_CHARS = 4096  # other short string fields: paths, git refs, stage names, page tokens
MAX_LIST_PAGE_BYTES = 4 * 1024 * 1024  # runs/list answers fewer runs (with a next_page_token) above this
MAX_FILES_PATH_CHARS = 4096  # Files API: whole path
MAX_FILES_NAME_BYTES = 255  # Files API: one path segment (the file system's NAME_MAX)

INT64_MAX = 2**63 - 1
# Fields holding a 64-bit integer (proto int64) that a client may send as a string or in the query string.
INTEGER_FIELDS = frozenset(
    {
        "run_id",
        "job_id",
        "offset",
        "limit",
        "timeout_seconds",
        "start_time_from",
        "start_time_to",  # Jobs
        "version",
        "max_results",
        "experiment_id",
        "start_time",
        "end_time",
        "timestamp",
        "step",  # MLflow
    }
)
_ASCII_DIGITS = re.compile(r"[0-9]+")


def parse_int64(value, name: str, *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """An integer given as a JSON number or a string of ASCII digits (proto3 JSON), within [minimum, maximum].

    `int()` alone would accept "١" (Arabic-Indic one), " 7", "1_000" and numbers SQLite cannot store.
    """
    if isinstance(value, bool) or value is None:
        raise invalid_parameter(f"Invalid value {value!r} for field {name}: expected an integer.")
    if isinstance(value, str):
        text = value[1:] if value.startswith("-") else value
        if not _ASCII_DIGITS.fullmatch(text) or len(text) > 19:
            raise invalid_parameter(
                f"Invalid value {_preview(value)} for field {name}: expected an integer of at most 19 ASCII digits."
            )
        value = int(value)
    if not isinstance(value, int):
        raise invalid_parameter(f"Invalid value {_preview(value)} for field {name}: expected an integer.")
    if not minimum <= value <= maximum:
        raise invalid_parameter(
            f"Invalid value {_preview(value)} for field {name}: must be between {minimum} and {maximum}."
        )
    return value


def check_length(value: str | None, name: str, maximum: int) -> str | None:
    if value is not None and len(value) > maximum:
        raise invalid_parameter(f"Field {name} is {len(value)} characters long; the limit is {maximum}.")
    return value


def _preview(value, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"...' ({len(text)} characters)"
