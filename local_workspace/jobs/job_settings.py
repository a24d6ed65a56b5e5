"""A saved job's settings (`jobs/create|reset|update`) and the `jobs/run-now` body as pydantic models, and how
settings plus run-now overrides become a run: the same validated submission `runs/submit` makes.

Parameters, as on Databricks: job parameters (`settings.parameters`, overridden by run-now `job_parameters`) are
pushed down to every notebook task as widgets and win over run-now `notebook_params`, which win over the task's
`base_parameters`. `{{job.parameters.<name>}}`, `{{job.id}}`, `{{job.name}}`, `{{job.run_id}}` and `{{task.name}}`
in a parameter value are replaced by their values; other references are left as they are.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, field_validator, model_validator

from local_workspace.errors import invalid_parameter
from local_workspace.jobs.submit_spec import GitSource, SubmitRequest, Timeout, widget_value, widget_values
from local_workspace.limits import MAX_RUN_NAME_CHARS
from local_workspace.validation import RequestModel, int64, invalid, validate

PARAMETER_NAME = re.compile(r"[\w\-.]{1,255}")
REFERENCE = re.compile(r"\{\{\s*([\w.\-]+)\s*\}\}")
# Fields Databricks fills in when a job is created without them (echoed by jobs/get); Jobs API 2.2 also adds
# `queue: {enabled: true}` (see `saved.create_job`).
DEFAULT_SETTINGS: dict[str, Any] = {
    "name": "Untitled",
    "email_notifications": {},
    "timeout_seconds": 0,
    "max_concurrent_runs": 1,
    "format": "MULTI_TASK",
}
# Arrays that jobs/update merges entry by entry (by this key) instead of replacing them.
MERGED_ARRAYS = {
    "tasks": "task_key",
    "job_clusters": "job_cluster_key",
    "parameters": "name",
    "environments": "environment_key",
}

WidgetValues = Annotated[dict[str, str], BeforeValidator(widget_values)]


def _scalar_text(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        raise invalid(f"must be a string, not {type(value).__name__}.")
    return widget_value(value)


def _parameter_name(name: str) -> str:
    if PARAMETER_NAME.fullmatch(name):
        return name
    raise invalid(f"must be letters, digits, '_', '-' or '.', got {name[:40]!r}.")


class ParameterDefinition(RequestModel):
    name: Annotated[str, AfterValidator(_parameter_name)]
    default: Annotated[str, BeforeValidator(_scalar_text)]


class JobSettingsSpec(RequestModel):
    name: Annotated[str, StringConstraints(max_length=MAX_RUN_NAME_CHARS)] = "Untitled"
    tasks: list[dict[str, Any]] = Field(default_factory=list)
    git_source: GitSource | None = None
    timeout_seconds: Timeout = 0
    parameters: list[ParameterDefinition] = Field(default_factory=list)
    max_concurrent_runs: Annotated[int, int64(minimum=0, maximum=1000)] = 1

    @field_validator("tasks", "parameters", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        return [] if value is None else value

    @model_validator(mode="after")
    def _consistent(self) -> JobSettingsSpec:
        names = [p.name for p in self.parameters]
        duplicate = next((name for name in names if names.count(name) > 1), None)
        if duplicate:
            raise invalid(f"parameters: the name {duplicate!r} is defined twice.")
        if self.tasks:
            self.as_submission()  # the tasks must be a valid run (400 naming the field otherwise)
        return self

    def as_submission(self, **overrides: Any) -> SubmitRequest:
        body: dict[str, Any] = {"run_name": self.name, "tasks": self.tasks, "timeout_seconds": self.timeout_seconds}
        if self.git_source:
            body["git_source"] = self.git_source.raw
        return validate(SubmitRequest, {**body, **overrides})

    def stored(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The settings jobs/get answers: what the client sent, Databricks' defaults, tasks as a run echoes them."""
        settings = {**DEFAULT_SETTINGS, **raw, "name": self.name, "timeout_seconds": self.timeout_seconds}
        settings["max_concurrent_runs"] = self.max_concurrent_runs
        if self.tasks:
            submission = self.as_submission()
            settings["tasks"] = [submission.task_spec(task) for task in submission.tasks]
        if self.parameters:
            settings["parameters"] = [p.model_dump() for p in self.parameters]
        return settings


class RunNowRequest(RequestModel):
    job_id: Annotated[int, int64(minimum=1)]
    notebook_params: WidgetValues = Field(default_factory=dict)
    job_parameters: WidgetValues = Field(default_factory=dict)
    idempotency_token: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


def parse_settings(raw: Any, field: str = "settings") -> tuple[JobSettingsSpec, dict[str, Any]]:
    """The validated settings and the dict to store."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise invalid_parameter(f"{field} must be a JSON object.")
    spec = validate(JobSettingsSpec, raw)
    return spec, spec.stored(raw)


def merge_settings(current: dict[str, Any], new: dict[str, Any], fields_to_remove: list[str]) -> dict[str, Any]:
    """jobs/update: top-level fields replaced, tasks (and other keyed arrays) merged entry by entry, then the
    `fields_to_remove` (top-level names, or `tasks/<task_key>`) dropped."""
    merged = dict(current)
    for field, value in new.items():
        key = MERGED_ARRAYS.get(field)
        if key and isinstance(value, list) and isinstance(current.get(field), list):
            entries = {entry.get(key): entry for entry in current[field] if isinstance(entry, dict)}
            entries.update({entry.get(key): entry for entry in value if isinstance(entry, dict)})
            merged[field] = list(entries.values())
        else:
            merged[field] = value
    for path in fields_to_remove:
        field, _, entry_key = path.partition("/")
        if entry_key and field in MERGED_ARRAYS:
            key = MERGED_ARRAYS[field]
            merged[field] = [entry for entry in merged.get(field) or [] if entry.get(key) != entry_key]
        elif not entry_key:
            merged.pop(field, None)
        else:
            raise invalid_parameter(f"fields_to_remove: cannot remove {path[:80]!r}.")
    return merged


def job_run_submission(
    job_id: int, settings: dict[str, Any], request: RunNowRequest
) -> tuple[SubmitRequest, dict[str, Any], dict[str, str]]:
    """The run a run-now makes: the submission, what the parent run records (job id, parameters) and the job
    parameters' values."""
    spec = validate(JobSettingsSpec, settings)
    if not spec.tasks:
        raise invalid_parameter(f"Job {job_id} has no tasks to run.")
    defaults = {p.name: p.default for p in spec.parameters}
    unknown = sorted(set(request.job_parameters) - set(defaults))
    if unknown:
        raise invalid_parameter(f"Job {job_id} does not define the job parameter(s) {', '.join(unknown)}.")
    values = {**defaults, **request.job_parameters}
    tasks = []
    for task in spec.tasks:
        notebook = dict(task.get("notebook_task") or {})
        parameters = {**(notebook.get("base_parameters") or {}), **request.notebook_params, **values}
        tasks.append({**task, "notebook_task": {**notebook, "base_parameters": parameters}})
    submission = spec.as_submission(tasks=tasks, idempotency_token=request.idempotency_token)
    record: dict[str, Any] = {"job_id": job_id, "trigger": "ONE_TIME"}
    if spec.parameters:
        record["job_parameters"] = [
            {"name": p.name, "default": p.default, "value": values[p.name]} for p in spec.parameters
        ]
    if request.notebook_params:  # RunParameters has no job_parameters: those are in the run's job_parameters
        record["overriding_parameters"] = {"notebook_params": request.notebook_params}
    return submission, record, values


def resolve_references(text: str, known: dict[str, str]) -> str:
    """`{{job.parameters.x}}`-style dynamic value references replaced by their values (unknown ones kept)."""
    return REFERENCE.sub(lambda match: known.get(match.group(1), match.group(0)), text)


def reference_values(job_id: int, job_name: str, run_id: int, task_key: str, parameters: dict[str, str]) -> dict:
    known = {"job.id": str(job_id), "job.name": job_name, "job.run_id": str(run_id), "task.name": task_key}
    known.update({f"job.parameters.{name}": value for name, value in parameters.items()})
    return known
