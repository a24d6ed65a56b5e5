"""The `runs/submit` body as pydantic models; anything invalid is a 400 before a run is created."""

from __future__ import annotations

import json
import re
from graphlib import CycleError, TopologicalSorter
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, field_validator, model_validator

from local_workspace.errors import DatabricksApiError, invalid_parameter
from local_workspace.limits import (
    MAX_PARAMETERS_JSON_BYTES,
    MAX_RUN_NAME_CHARS,
    MAX_STRING_FIELD_CHARS,
    MAX_TASKS_PER_RUN,
    parse_int64,
)
from local_workspace.validation import RequestModel, invalid, rejected, validate

TASK_KEY_PATTERN = re.compile(r"[\w\-.]{1,100}")
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


def _timeout(value: Any) -> int:
    # Proto3 JSON, as Databricks parses it: an int64 may come as a string (the Airflow provider sends "1800"),
    # and null is the field's default, 0 (no timeout).
    if value is None:
        return 0
    try:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError
        return parse_int64(value, "timeout_seconds", minimum=0, maximum=MAX_TIMEOUT_SECONDS)
    except (ValueError, DatabricksApiError):
        raise invalid(
            f"must be a non-negative integer (seconds; 0 means no timeout) of at most {MAX_TIMEOUT_SECONDS}, "
            f"got {_preview(value)}."
        ) from None


GitText = Annotated[str, StringConstraints(max_length=MAX_STRING_FIELD_CHARS)]
Timeout = Annotated[int, BeforeValidator(_timeout)]


class GitSource(RequestModel):
    git_url: Annotated[str, StringConstraints(min_length=1, max_length=MAX_STRING_FIELD_CHARS)]
    git_provider: Annotated[str, StringConstraints(min_length=1, max_length=MAX_STRING_FIELD_CHARS)]
    git_branch: GitText | None = None
    git_tag: GitText | None = None
    git_commit: GitText | None = None

    @field_validator("git_url")
    @classmethod
    def _local_only(cls, url: str) -> str:
        if "://" in url and not url.startswith("file://"):
            raise invalid(
                f"the local workspace only checks out local repositories (a path or file:// URL), got {_preview(url)}."
            )
        return url

    @model_validator(mode="after")
    def _one_ref(self) -> GitSource:
        refs = [name for name in GIT_REF_FIELDS if getattr(self, name)]
        if len(refs) != 1:
            raise invalid("needs exactly one of git_branch, git_tag or git_commit.")
        if self.ref.startswith("-"):
            raise invalid(f"{refs[0]} must be a branch, tag or commit name, got {_preview(self.ref)}.")
        return self

    @property
    def ref_kind(self) -> str:
        """git_branch | git_tag | git_commit"""
        return next(name for name in GIT_REF_FIELDS if getattr(self, name))

    @property
    def ref(self) -> str:
        return getattr(self, self.ref_kind)

    @property
    def raw(self) -> dict[str, Any]:
        """As the client sent it (echoed back by runs/get)."""
        return self.model_dump(exclude_unset=True)


class NotebookTaskSpec(RequestModel):
    notebook_path: Annotated[str, StringConstraints(max_length=MAX_STRING_FIELD_CHARS)]
    source: Literal["WORKSPACE", "GIT"] | None = None
    base_parameters: dict[str, str] = Field(default_factory=dict)

    @field_validator("notebook_path")
    @classmethod
    def _path(cls, path: str) -> str:
        if not path.strip():
            raise invalid("must not be empty.")
        if "\0" in path:
            raise invalid("must not contain NUL characters.")
        return path

    @field_validator("base_parameters", mode="before")
    @classmethod
    def _parameters(cls, value: Any) -> Any:
        return widget_values(value)


def widget_value(item: Any) -> str:
    """A parameter as the text a notebook's widget holds (`dbutils.widgets.get(name) -> str`): numbers as
    written, booleans as true/false (their JSON spelling), null as ""."""
    if item is None:
        return ""
    if isinstance(item, bool):
        return "true" if item else "false"
    return item if isinstance(item, str) else str(item)


def widget_values(value: Any) -> dict[str, str]:
    """`base_parameters` / `notebook_params` / `job_parameters` (a map of text) with every value as text, within
    Databricks' 10,000-byte limit."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("must be an object of string values.")
    for name, item in value.items():
        if isinstance(item, (dict, list)):
            raise invalid(f"{_preview(name)} must be a string, not {type(item).__name__}.")
    out = {str(name): widget_value(item) for name, item in value.items()}
    size = len(json.dumps(out).encode())
    if size > MAX_PARAMETERS_JSON_BYTES:
        raise invalid(f"{size} bytes as JSON; the limit is {MAX_PARAMETERS_JSON_BYTES} bytes.")
    return out


class Dependency(RequestModel):
    task_key: str


class Task(RequestModel):
    task_key: str
    notebook_task: NotebookTaskSpec
    depends_on: list[Dependency] = Field(default_factory=list)
    timeout_seconds: Timeout = 0

    @model_validator(mode="before")
    @classmethod
    def _notebook_tasks_only(cls, data: Any) -> Any:
        for kind in OTHER_TASK_TYPES if isinstance(data, dict) else ():
            if kind in data:
                raise invalid(f"{kind} is not supported by the local workspace; use notebook_task.")
        return data

    @field_validator("task_key")
    @classmethod
    def _key(cls, key: str) -> str:
        if not TASK_KEY_PATTERN.fullmatch(key):
            raise invalid(f"must be 1-100 characters of letters, digits, '-', '_' or '.', got {_preview(key)}.")
        return key

    @field_validator("depends_on", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def upstream(self) -> tuple[str, ...]:
        return tuple(dep.task_key for dep in self.depends_on)


class SubmitRequest(RequestModel):
    run_name: Annotated[str, StringConstraints(max_length=MAX_RUN_NAME_CHARS)] | None = None
    tasks: Annotated[list[Task], Field(min_length=1, max_length=MAX_TASKS_PER_RUN)]
    git_source: GitSource | None = None
    idempotency_token: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    timeout_seconds: Timeout = 0
    # A top-level notebook_task (Jobs API 2.0 style single-task run), answered in that shape.
    legacy_format: bool = False

    @field_validator("tasks")
    @classmethod
    def _in_dependency_order(cls, tasks: list[Task]) -> list[Task]:
        """Stored in this order, which runs/get lists them in."""
        return dependency_order(tasks)

    @model_validator(mode="after")
    def _sources(self) -> SubmitRequest:
        for task in self.tasks:
            _check_source(task, self.git_source)
        return self

    @property
    def name(self) -> str:
        return self.run_name or "Untitled"

    def task_spec(self, task: Task) -> dict[str, Any]:
        """The task as the client sent it, with the notebook source resolved (echoed back by runs/get)."""
        raw = task.model_dump(exclude_unset=True)
        raw["notebook_task"]["source"] = _source(task, self.git_source)
        return raw


def parse_submit_request(body: Any) -> SubmitRequest:
    if not isinstance(body, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    legacy = "notebook_task" in body
    if legacy and body.get("tasks"):
        raise invalid_parameter("Specify either tasks or a top-level notebook_task, not both.")
    task_fields = ("notebook_task", *COMPUTE_FIELDS)
    if legacy:
        task = {"task_key": _legacy_task_key(body), **{k: body[k] for k in task_fields if k in body}}
        body = {**{k: v for k, v in body.items() if k not in task_fields}, "tasks": [task]}
    elif not body.get("tasks") or not isinstance(body["tasks"], list):
        for kind in OTHER_TASK_TYPES:
            if kind in body:
                raise invalid_parameter(
                    f"{kind} is not supported by the local workspace: only notebook_task runs here."
                )
        raise invalid_parameter("At least one task is required: pass tasks[] with a notebook_task.")
    return validate(SubmitRequest, {**body, "legacy_format": legacy})


def parse_git_source(value: Any) -> GitSource:
    return validate(GitSource, value)


def _legacy_task_key(body: dict) -> str:
    name = str(body.get("run_name") or "notebook_task")
    key = re.sub(r"[^\w\-.]", "_", name)[:100]
    return key or "notebook_task"


def _source(task: Task, git_source: GitSource | None) -> str:
    return task.notebook_task.source or ("GIT" if git_source else "WORKSPACE")


def _check_source(task: Task, git_source: GitSource | None) -> None:
    path, source = task.notebook_task.notebook_path, _source(task, git_source)
    if source == "GIT" and git_source is None:
        raise rejected(f"Task {task.task_key}: source GIT needs a top-level git_source.")
    if source == "GIT" and path.startswith("/"):
        raise rejected(
            f"Task {task.task_key}: with source GIT, notebook_path must be relative to the repository root, "
            f"got {_preview(path)}."
        )
    if source == "WORKSPACE" and not path.startswith("/"):
        raise rejected(
            f"Task {task.task_key}: a WORKSPACE notebook_path must be absolute (e.g. /Workspace/...), "
            f"got {_preview(path)}."
        )


def dependency_order(tasks: list[Task]) -> list[Task]:
    """The tasks in waves (each wave: the tasks whose upstream tasks are all in earlier waves), each wave in the
    order the client listed them. Duplicate keys, unknown dependencies and cycles are rejected."""
    by_key: dict[str, Task] = {}
    for task in tasks:
        if task.task_key in by_key:
            raise rejected(f"Duplicate task_key {task.task_key!r}: task keys must be unique within a run.")
        by_key[task.task_key] = task
    for task in tasks:
        for dep in task.upstream:
            if dep not in by_key:
                raise rejected(f"Task {task.task_key} depends on {_preview(dep)}, which is not a task of this run.")
    graph = TopologicalSorter({task.task_key: task.upstream for task in tasks})
    try:
        graph.prepare()
    except CycleError as exc:
        raise rejected(f"The tasks' depends_on form a cycle: {' -> '.join(exc.args[1])}.") from None
    position = {task.task_key: index for index, task in enumerate(tasks)}
    ordered: list[Task] = []
    while graph.is_active():
        wave = sorted(graph.get_ready(), key=position.__getitem__)
        ordered += [by_key[key] for key in wave]
        graph.done(*wave)
    return ordered


def _preview(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
