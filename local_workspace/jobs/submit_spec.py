"""Validate a `runs/submit` body into typed values; anything invalid is a 400 before a run is created."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from local_workspace.errors import DatabricksApiError, invalid_parameter
from local_workspace.limits import (
    MAX_PARAMETERS_JSON_BYTES,
    MAX_RUN_NAME_CHARS,
    MAX_STRING_FIELD_CHARS,
    MAX_TASKS_PER_RUN,
    check_length,
    parse_int64,
)

TASK_KEY_PATTERN = re.compile(r"^[\w\-.]{1,100}$")
OTHER_TASK_TYPES = (
    "spark_python_task",
    "spark_jar_task",
    "spark_submit_task",
    "python_wheel_task",
    "sql_task",
    "dbt_task",
    "pipeline_task",
    "run_job_task",
    "condition_task",
    "for_each_task",
    "clean_rooms_notebook_task",
    "dashboard_task",
    "power_bi_task",
    "gen_ai_compute_task",
)
MAX_TIMEOUT_SECONDS = 10 * 365 * 24 * 3600  # far beyond any run; keeps deadlines and timestamps in range
GIT_REF_FIELDS = ("git_branch", "git_tag", "git_commit")
# Echoed back on the task but meaningless locally: notebooks run in the workspace's own Python.
COMPUTE_FIELDS = ("new_cluster", "existing_cluster_id", "environment_key", "job_cluster_key", "libraries")


@dataclass(frozen=True)
class GitSource:
    git_url: str
    git_provider: str
    ref_kind: str  # git_branch | git_tag | git_commit
    ref: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class NotebookTask:
    task_key: str
    notebook_path: str
    source: str  # WORKSPACE | GIT
    base_parameters: dict[str, str]
    depends_on: tuple[str, ...]
    timeout_seconds: int
    raw: dict[str, Any]


@dataclass(frozen=True)
class SubmitRequest:
    run_name: str
    tasks: tuple[NotebookTask, ...]  # in an order that respects depends_on
    git_source: GitSource | None
    idempotency_token: str | None
    timeout_seconds: int
    legacy_format: bool  # top-level notebook_task (Jobs API 2.0 style single-task run)
    extras: dict[str, Any] = field(default_factory=dict)


def parse_submit_request(body: Any) -> SubmitRequest:
    if not isinstance(body, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    token = body.get("idempotency_token")
    if token is not None and (not isinstance(token, str) or not token or len(token) > 64):
        raise invalid_parameter("idempotency_token must be a non-empty string of at most 64 characters.")
    git_source = parse_git_source(body.get("git_source"))
    legacy = "notebook_task" in body
    if legacy and body.get("tasks"):
        raise invalid_parameter("Specify either tasks or a top-level notebook_task, not both.")
    if legacy:
        raw_tasks = [
            {
                "task_key": _legacy_task_key(body),
                **{k: body[k] for k in ("notebook_task", *COMPUTE_FIELDS) if k in body},
            }
        ]
    else:
        raw_tasks = body.get("tasks")
        if not raw_tasks or not isinstance(raw_tasks, list):
            _reject_other_top_level_types(body)
            raise invalid_parameter("At least one task is required: pass tasks[] with a notebook_task.")
    if len(raw_tasks) > MAX_TASKS_PER_RUN:
        raise invalid_parameter(f"A run can have at most {MAX_TASKS_PER_RUN} tasks; this one has {len(raw_tasks)}.")
    tasks = [_notebook_task(raw, git_source) for raw in raw_tasks]
    return SubmitRequest(
        run_name=check_length(_string(body.get("run_name"), "run_name"), "run_name", MAX_RUN_NAME_CHARS) or "Untitled",
        tasks=tuple(_dependency_order(tasks)),
        git_source=git_source,
        idempotency_token=token,
        timeout_seconds=_timeout(body.get("timeout_seconds"), "timeout_seconds"),
        legacy_format=legacy,
    )


def _legacy_task_key(body: dict) -> str:
    name = str(body.get("run_name") or "notebook_task")
    key = re.sub(r"[^\w\-.]", "_", name)[:100]
    return key or "notebook_task"


def _reject_other_top_level_types(body: dict) -> None:
    for kind in OTHER_TASK_TYPES:
        if kind in body:
            raise invalid_parameter(f"{kind} is not supported by the local workspace: only notebook_task runs here.")


def _notebook_task(raw: Any, git_source: GitSource | None) -> NotebookTask:
    if not isinstance(raw, dict):
        raise invalid_parameter("Each task must be a JSON object.")
    key = raw.get("task_key")
    if not isinstance(key, str) or not TASK_KEY_PATTERN.match(key):
        raise invalid_parameter(f"Invalid task_key {key!r}: 1-100 characters of letters, digits, '-', '_' or '.'.")
    for kind in OTHER_TASK_TYPES:
        if kind in raw:
            raise invalid_parameter(f"Task {key}: {kind} is not supported by the local workspace; use notebook_task.")
    notebook = raw.get("notebook_task")
    if not isinstance(notebook, dict):
        raise invalid_parameter(f"Task {key}: notebook_task is required.")
    path = notebook.get("notebook_path")
    if not isinstance(path, str) or not path.strip():
        raise invalid_parameter(f"Task {key}: notebook_task.notebook_path is required.")
    check_length(path, f"tasks[{key}].notebook_task.notebook_path", MAX_STRING_FIELD_CHARS)
    if "\0" in path:
        raise invalid_parameter(f"Task {key}: notebook_task.notebook_path must not contain NUL characters.")
    source = notebook.get("source") or ("GIT" if git_source else "WORKSPACE")
    if source not in ("WORKSPACE", "GIT"):
        raise invalid_parameter(f"Task {key}: notebook_task.source must be WORKSPACE or GIT, got {source!r}.")
    if source == "GIT":
        if git_source is None:
            raise invalid_parameter(f"Task {key}: source GIT needs a top-level git_source.")
        if path.startswith("/"):
            raise invalid_parameter(
                f"Task {key}: with source GIT, notebook_path must be relative to the repository root, got {path!r}."
            )
    elif not path.startswith("/"):
        raise invalid_parameter(
            f"Task {key}: a WORKSPACE notebook_path must be absolute (e.g. /Workspace/...), got {path!r}."
        )
    depends_on = raw.get("depends_on") or []
    if not isinstance(depends_on, list) or not all(
        isinstance(d, dict) and isinstance(d.get("task_key"), str) for d in depends_on
    ):
        raise invalid_parameter(f'Task {key}: depends_on must be a list of {{"task_key": ...}} objects.')
    return NotebookTask(
        task_key=key,
        notebook_path=path,
        source=source,
        base_parameters=_parameters(notebook.get("base_parameters"), key),
        depends_on=tuple(d["task_key"] for d in depends_on),
        timeout_seconds=_timeout(raw.get("timeout_seconds"), f"Task {key}: timeout_seconds"),
        raw={**raw, "notebook_task": {**notebook, "source": source}},
    )


def _parameters(value: Any, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_parameter(f"Task {key}: base_parameters must be an object of string values.")
    out = {}
    for name, item in value.items():
        if isinstance(item, (dict, list)):
            raise invalid_parameter(
                f"Task {key}: base_parameters[{name!r}] must be a string, not {type(item).__name__}."
            )
        out[str(name)] = "" if item is None else (str(item).lower() if isinstance(item, bool) else str(item))
    size = len(json.dumps(out).encode())
    if size > MAX_PARAMETERS_JSON_BYTES:
        raise invalid_parameter(
            f"Task {key}: base_parameters are {size} bytes as JSON; the limit is {MAX_PARAMETERS_JSON_BYTES} bytes."
        )
    return out


def parse_git_source(value: Any) -> GitSource | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_parameter("git_source must be an object.")
    url, provider = value.get("git_url"), value.get("git_provider")
    for name in ("git_url", "git_provider", *GIT_REF_FIELDS):
        if isinstance(value.get(name), str):
            check_length(value[name], f"git_source.{name}", MAX_STRING_FIELD_CHARS)
    if not isinstance(url, str) or not url:
        raise invalid_parameter("git_source.git_url is required.")
    if not isinstance(provider, str) or not provider:
        raise invalid_parameter("git_source.git_provider is required (e.g. gitHub).")
    if "://" in url and not url.startswith("file://"):
        raise invalid_parameter(
            f"git_source.git_url {url!r}: the local workspace only checks out local repositories (a path or file:// URL)."
        )
    refs = [(name, value[name]) for name in GIT_REF_FIELDS if value.get(name)]
    if len(refs) != 1:
        raise invalid_parameter("git_source needs exactly one of git_branch, git_tag or git_commit.")
    ((ref_kind, ref),) = refs
    if not isinstance(ref, str) or ref.startswith("-"):
        raise invalid_parameter(f"git_source.{ref_kind} must be a branch, tag or commit name, got {ref!r}.")
    return GitSource(git_url=url, git_provider=provider, ref_kind=ref_kind, ref=ref, raw=dict(value))


def _timeout(value: Any, name: str) -> int:
    if value is None:
        return 0
    # Databricks parses JSON as proto3: an int64 may come as a string, and the Airflow provider sends "1800".
    try:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError
        return parse_int64(value, name, minimum=0, maximum=MAX_TIMEOUT_SECONDS)
    except (ValueError, DatabricksApiError):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
        raise invalid_parameter(
            f"{name} must be a non-negative integer (seconds; 0 means no timeout) of at most "
            f"{MAX_TIMEOUT_SECONDS}, got {shown}."
        ) from None


def _string(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_parameter(f"{name} must be a string.")
    return value


def _dependency_order(tasks: list[NotebookTask]) -> list[NotebookTask]:
    by_key: dict[str, NotebookTask] = {}
    for task in tasks:
        if task.task_key in by_key:
            raise invalid_parameter(f"Duplicate task_key {task.task_key!r}: task keys must be unique within a run.")
        by_key[task.task_key] = task
    for task in tasks:
        for dep in task.depends_on:
            if dep not in by_key:
                raise invalid_parameter(f"Task {task.task_key} depends on {dep!r}, which is not a task of this run.")
    ordered: list[NotebookTask] = []
    done: set[str] = set()
    remaining = list(tasks)
    while remaining:
        ready = [t for t in remaining if all(dep in done for dep in t.depends_on)]
        if not ready:
            cycle = ", ".join(t.task_key for t in remaining)
            raise invalid_parameter(f"The tasks' depends_on form a cycle among: {cycle}.")
        for task in ready:
            ordered.append(task)
            done.add(task.task_key)
        remaining = [t for t in remaining if t.task_key not in done]
    return ordered
