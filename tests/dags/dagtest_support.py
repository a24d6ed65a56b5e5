"""Helpers for DAG tests: an independent registry client and environment wiring for a local workspace."""

from __future__ import annotations

import contextlib
from pathlib import Path

import yaml
from support.waiting import wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]


class RegistryClient:
    """The registry through databricks-sdk (an independent client, not the code under test)."""

    def __init__(self, workspace):
        from databricks.sdk import WorkspaceClient

        self.workspace = workspace
        self.sdk = WorkspaceClient(host=workspace.url, token=workspace.token)

    def stage(self, name: str, version: str) -> str:
        return self.sdk.model_registry.get_model_version(name, version).model_version.current_stage

    def open_requests(self, name: str, version: str) -> list:
        return list(self.sdk.model_registry.list_transition_requests(name, version))

    def register(self, name: str, description: str = "", source: str = "s3://stub/model") -> str:
        from databricks.sdk.errors import ResourceAlreadyExists

        with contextlib.suppress(ResourceAlreadyExists):
            self.sdk.model_registry.create_model(name)
        return self.sdk.model_registry.create_model_version(name, source, description=description).model_version.version

    def request(self, name: str, version: str, stage: str = "Staging", comment: str = "by hand") -> None:
        self.sdk.model_registry.create_transition_request(name, version, stage, comment=comment)

    def versions(self, name: str) -> list[str]:
        escaped = name.replace("\\", "\\\\").replace("'", "\\'")
        found = self.sdk.model_registry.search_model_versions(filter=f"name='{escaped}'")
        return sorted((v.version for v in found), key=int)

    def snapshot(self, name: str) -> dict[str, tuple]:
        """Every version's stage, open requests and comment count: equal snapshots mean nothing changed."""
        return {
            v: (self.stage(name, v), len(self.open_requests(name, v)), len(self.comments(name, v)))
            for v in self.versions(name)
        }

    def comments(self, name: str, version: str) -> list[str]:
        """Comments on a version. The public API has no "list comments" call, so read the workspace's state."""
        import sqlite3

        with sqlite3.connect(self.workspace.data_dir / "workspace.db") as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(registry_comments)")}
            name_col = "model_name" if "model_name" in columns else "name"
            rows = db.execute(
                f"SELECT comment FROM registry_comments WHERE {name_col} = ? AND version = ?", (name, str(version))
            ).fetchall()
        return [row[0] for row in rows]


def point_clients_at(workspace, monkeypatch) -> None:
    for key, value in workspace.client_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_DEFAULT", workspace.airflow_connection_json())


def write_job_config(path: Path, notebook_root: str) -> Path:
    """The bundled job config with the notebooks' workspace folder replaced."""
    raw = yaml.safe_load((REPO_ROOT / "include" / "config" / "databricks_jobs.yaml").read_text())
    raw["notebook_sources"]["workspace"]["root"] = notebook_root
    path.write_text(yaml.safe_dump(raw))
    return path


def answer_review_when_asked(
    dag_id: str, task_id: str, option: str, user: str = "reviewer@example.com", timeout: float = 300
):
    """Start a thread that answers a human-in-the-loop task once it waits for input, as the Required Actions UI
    does (the same steps as Airflow's `PATCH .../hitlDetails` handler), on the shared metadata DB."""
    import threading

    from airflow._shared.timezones import timezone
    from airflow.models.hitl import HITLDetail, HITLUser
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import handle_event_submit
    from airflow.triggers.base import TriggerEvent
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    answered: list[str] = []

    def answered_once_waiting() -> list[str]:
        try:
            _answer_waiting()
        except Exception as exc:  # surfaced to the test through `answered`
            answered.append(f"error: {exc!r}")
        return answered

    def answer() -> None:
        # A timeout shows as an empty `answered` in the test, which then names what went wrong.
        with contextlib.suppress(AssertionError):
            wait_for(answered_once_waiting, timeout=timeout, what=f"{task_id} to wait for input", interval=0.5)

    def _answer_waiting() -> None:
        with create_session() as session:
            waiting = session.scalars(
                select(TaskInstance).where(
                    TaskInstance.dag_id == dag_id,
                    TaskInstance.task_id == task_id,
                    TaskInstance.state == TaskInstanceState.AWAITING_INPUT,
                )
            ).all()
            for ti in waiting:
                detail = session.scalar(select(HITLDetail).where(HITLDetail.ti_id == ti.id))
                detail.responded_by = HITLUser(id=user, name=user)
                detail.responded_at = timezone.utcnow()
                detail.chosen_options = [option]
                detail.params_input = {}
                session.add(detail)
                handle_event_submit(TriggerEvent(detail.as_resume_event_payload()), task_instance=ti, session=session)
                answered.append(f"{ti.run_id}[{ti.map_index}]")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread, answered
