"""Read-only views of workspace state for the pages: a job run with its tasks, a model version's registry trail.

Nothing here writes: the Jobs and registry services own their tables; the pages only read them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from sqlalchemy import select

from local_workspace.config import WorkspaceConfig
from local_workspace.db import session_scope
from local_workspace.jobs import models as jobs_models
from local_workspace.jobs.models import JobRun
from local_workspace.jobs.paths import read_logs
from local_workspace.registry import mlflow_store
from local_workspace.registry.models import ActivityRow, CommentRow, TransitionRequestRow

PAGE_LOG_BYTES = 128 * 1024  # the page shows the tail; runs/get-output serves up to 1 MB
RECENT_RUNS = 50


@dataclass(frozen=True)
class ModelRef:
    """A model version a run names (its `event_message` widget, its parameters or its exit value)."""

    name: str
    version: str


@dataclass
class TaskView:
    row: JobRun
    parameters: dict
    notebook_path: str | None
    output_json: object | None  # the exit value parsed as JSON, when it is JSON
    logs: tuple[str, bool] | None
    model_refs: list[ModelRef] = field(default_factory=list)


@dataclass
class RunView:
    run: JobRun  # the run the page is about (a parent run or a task run)
    parent: JobRun | None  # set when `run` is a task run
    tasks: list[TaskView]  # the parent's tasks, or just the task run itself


@dataclass
class VersionActivity:
    model_version: object  # mlflow.entities.model_registry.ModelVersion
    requests: list[TransitionRequestRow]
    comments: list[CommentRow]
    activities: list[ActivityRow]


def _parse_json(text: str | None):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _ref(name, version) -> ModelRef | None:
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if isinstance(name, str) and name and isinstance(version, str) and version.isascii() and version.isdigit():
        return ModelRef(name, str(int(version)))
    return None


def model_refs(parameters: dict, output) -> list[ModelRef]:
    """Model versions a task is about: the test notebook's `event_message`, `model_name`/`version` parameters,
    the retrain notebook's exit value `{model_name, version, ...}`."""
    candidates = []
    event = _parse_json(parameters.get("event_message")) if isinstance(parameters.get("event_message"), str) else None
    for source in (event, parameters, output):
        if isinstance(source, dict):
            candidates.append(_ref(source.get("model_name"), source.get("version")))
    refs: list[ModelRef] = []
    for ref in candidates:
        if ref is not None and ref not in refs:
            refs.append(ref)
    return refs


def _task_view(task: JobRun) -> TaskView:
    spec = task.spec
    notebook = spec.get("notebook_task") or {}
    raw_params = notebook.get("base_parameters") or {}
    parameters = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in raw_params.items()}
    output = _parse_json(task.result_text)
    logs = read_logs(Path(task.run_dir), PAGE_LOG_BYTES) if task.run_dir else None
    return TaskView(
        row=task,
        parameters=parameters,
        notebook_path=notebook.get("notebook_path"),
        output_json=output,
        logs=logs,
        model_refs=model_refs(parameters, output),
    )


def load_run(config: WorkspaceConfig, run_id: int) -> RunView | None:
    with session_scope(config.db_path) as session:
        row = jobs_models.get_run(session, run_id)
        if row is None:
            return None
        if row.parent_run_id is None:
            return RunView(run=row, parent=None, tasks=[_task_view(t) for t in jobs_models.tasks_of(session, run_id)])
        return RunView(run=row, parent=jobs_models.get_run(session, row.parent_run_id), tasks=[_task_view(row)])


def recent_runs(config: WorkspaceConfig, limit: int = RECENT_RUNS) -> list[JobRun]:
    with session_scope(config.db_path) as session:
        query = select(JobRun).where(JobRun.parent_run_id.is_(None)).order_by(JobRun.run_id.desc()).limit(limit)
        return list(session.scalars(query))


def load_version_activity(db: Path, name: str, version: str) -> VersionActivity:
    """The version's trail; rows older than the version belong to a deleted model that had the same name."""
    model_version = mlflow_store.get_model_version(name, version)  # DatabricksApiError 404 when unknown
    since = model_version.creation_timestamp
    with session_scope(db) as session:

        def rows(model, order):
            return list(
                session.scalars(
                    select(model)
                    .where(model.model_name == name, model.version == version, model.creation_timestamp >= since)
                    .order_by(order)
                )
            )

        return VersionActivity(
            model_version=model_version,
            requests=rows(TransitionRequestRow, TransitionRequestRow.creation_timestamp),
            comments=rows(CommentRow, CommentRow.creation_timestamp),
            activities=rows(ActivityRow, ActivityRow.creation_timestamp),
        )


def load_model_versions(db: Path, name: str) -> tuple[object, list, dict[str, int]]:
    """(registered model, its versions newest first, open request count by version)."""
    from mlflow.entities.model_registry.model_version_stages import STAGE_DELETED_INTERNAL
    from mlflow.server.handlers import _get_model_registry_store
    from mlflow.store.model_registry.dbmodels.models import SqlModelVersion
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

    registered = mlflow_store.get_registered_model(name)  # DatabricksApiError 404 when unknown
    store = cast(SqlAlchemyStore, _get_model_registry_store())  # the workspace's registry is SQL
    with store.ManagedSessionMaker() as session:
        rows = (
            session.query(SqlModelVersion)
            .filter(SqlModelVersion.name == name, SqlModelVersion.current_stage != STAGE_DELETED_INTERNAL)
            .order_by(SqlModelVersion.version.desc())
            .all()
        )
        versions = [row.to_mlflow_entity() for row in rows]
    open_counts: dict[str, int] = {}
    with session_scope(db) as session:
        for mv in versions:
            open_counts[str(mv.version)] = len(
                session.scalars(
                    select(TransitionRequestRow.id).where(
                        TransitionRequestRow.model_name == name,
                        TransitionRequestRow.version == str(mv.version),
                        TransitionRequestRow.status == "OPEN",
                        TransitionRequestRow.creation_timestamp >= mv.creation_timestamp,
                    )
                ).all()
            )
    return registered, versions, open_counts
