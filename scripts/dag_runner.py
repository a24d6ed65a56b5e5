"""Run the repository's DAGs in-process with `dag.test()` on a SQLite Airflow home (the demo and the e2e tests).

`configure_airflow()` must run before anything imports Airflow: Airflow reads its home and config at import time.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DAGS_FOLDER = REPO_ROOT / "dags"


def configure_airflow(airflow_home: Path | None, *, quiet: bool = False) -> None:
    """Point Airflow at `airflow_home` (SQLite) and this repository's DAGs; no example DAGs."""
    from churn_pipeline.quiet import silence_unactionable_warnings

    silence_unactionable_warnings()  # before Airflow starts: it warns while importing too
    if airflow_home is not None:
        airflow_home.mkdir(parents=True, exist_ok=True)
        os.environ["AIRFLOW_HOME"] = str(airflow_home)
        os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{airflow_home / 'airflow.db'}"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    if "airflow.settings" in sys.modules:
        # Airflow was imported already (e.g. by another test): its config and the dags-folder bundle path were
        # read then. dag.test() syncs the DAG from that bundle first, so point them at our DAGs too.
        from airflow import settings
        from airflow.configuration import conf

        conf.set("core", "dags_folder", str(DAGS_FOLDER))
        settings.DAGS_FOLDER = str(DAGS_FOLDER)
    os.environ.setdefault("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "120")
    if quiet:
        os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"


def migrate_db() -> None:
    """`airflow db migrate` in-process (creates the SQLite schema the first time, then a quick check)."""
    from airflow.utils.db import upgradedb

    upgradedb()


def load_dags() -> dict[str, Any]:
    """Parse `dags/` as the dag processor would; any import error is fatal (and shown)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        details = "\n".join(f"{path}:\n{error}" for path, error in bag.import_errors.items())
        raise RuntimeError(f"DAG import errors:\n{details}")
    return dict(bag.dags)


def adapt_for_dag_test(dag: Any, *, sensor_timeout: float | None = None) -> Any:
    """What `dag.test()` needs that a scheduler does not.

    - No retries: `dag.test()` waits out each `retry_delay` in the foreground; a failure should show at once.
    - Optionally a shorter sensor timeout. Deferrable sensors stay deferrable: `dag.test()` runs their trigger
      inline, and our trigger enforces the sensor's timeout itself.
    """
    from airflow.sdk import BaseSensorOperator

    for task in dag.tasks:
        task.retries = 0
        if isinstance(task, BaseSensorOperator) and sensor_timeout is not None:
            task.timeout = sensor_timeout
    return dag


@dataclass
class TaskOutcome:
    task_id: str
    map_index: int
    state: str | None
    xcom: dict[str, Any] = field(default_factory=dict)


@dataclass
class DagRunOutcome:
    dag_id: str
    run_id: str
    state: str
    tasks: list[TaskOutcome]

    @property
    def succeeded(self) -> bool:
        return self.state == "success"

    def task(self, task_id: str) -> list[TaskOutcome]:
        return sorted((t for t in self.tasks if t.task_id == task_id), key=lambda t: t.map_index)

    def value(self, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        for outcome in self.tasks:
            if outcome.task_id == task_id and outcome.map_index == map_index:
                return outcome.xcom.get(key)
        return None

    def failed_tasks(self) -> list[str]:
        return [
            f"{t.task_id}[{t.map_index}]" if t.map_index >= 0 else t.task_id
            for t in self.tasks
            if t.state in ("failed", "upstream_failed")
        ]


DECIDE_TASK = "candidate.decide"
UC_RECORD_TASK, UC_PROMOTE_TASK = "candidate.record_validation", "candidate.promote"


def describe_decision(decision: dict[str, Any], state: str | None = None) -> str:
    """`Version 3 -> Staging: APPROVED (all 7 checks passed)` from the decision task's return value."""
    verdict = str(decision.get("decision") or state or "?").upper()
    reason = f" ({decision['reason']})" if decision.get("reason") else ""
    return f"Version {decision.get('version', '?')} -> {decision.get('to_stage', '?')}: {verdict}{reason}"


def decided(outcome: DagRunOutcome) -> list[TaskOutcome]:
    """The decision tasks that ran, one per request (a run with nothing pending leaves only the unexpanded one)."""
    return [t for t in outcome.task(DECIDE_TASK) if t.map_index >= 0]


def uc_decision_lines(outcome: DagRunOutcome) -> list[str]:
    """One line per candidate of a Unity Catalog promotion run: its validation status and promotion."""
    lines = []
    for record in (t for t in outcome.task(UC_RECORD_TASK) if t.map_index >= 0 and t.xcom.get("return_value")):
        validation = record.xcom["return_value"]
        promotion = outcome.value(UC_PROMOTE_TASK, map_index=record.map_index) or {}
        lines.append(
            f"Version {validation.get('version', '?')}: validation_status={validation.get('validation_status')}, "
            f"promotion: {promotion.get('verdict') or 'none'}"
            + (f" ({promotion['reason']})" if promotion.get("reason") else "")
        )
    return lines


def decision_lines(outcome: DagRunOutcome) -> list[str]:
    """One line per decided candidate of a promotion run; why nothing was decided otherwise."""
    if uc_lines := uc_decision_lines(outcome):  # a Unity Catalog run (its workspace-registry steps skipped)
        return uc_lines
    decisions = decided(outcome)
    if decisions:
        return [describe_decision(t.xcom.get("return_value") or {}, t.state) for t in decisions]
    if any(t.task_id == DECIDE_TASK or t.task_id == "wait_for_transition_requests" for t in outcome.tasks):
        return ["No pending candidate (transition request or PENDING version) was found: nothing decided."]
    return []


def run_dag(dag: Any, conf: dict[str, Any] | None = None) -> DagRunOutcome:
    """`dag.test(run_conf=conf)`, then every task's state and XComs from the metadata DB."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    dag_run = dag.test(run_conf=conf or {})
    with create_session() as session:
        xcoms: dict[tuple[str, int], dict[str, Any]] = {}
        rows = session.scalars(XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag.dag_id)).all()
        for row in rows:
            xcoms.setdefault((row.task_id, row.map_index), {})[row.key] = XComModel.deserialize_value(row)
        tis = dag_run.get_task_instances(session=session)
        tasks = [
            TaskOutcome(
                ti.task_id, ti.map_index, str(ti.state) if ti.state else None, xcoms.get((ti.task_id, ti.map_index), {})
            )
            for ti in tis
        ]
        state = str(dag_run.state)
    return DagRunOutcome(dag_id=dag.dag_id, run_id=dag_run.run_id, state=state, tasks=tasks)


def main(argv: list[str] | None = None) -> int:
    """`python scripts/dag_runner.py DAG_ID [--conf JSON]`: run one DAG against the workspace that
    AIRFLOW_CONN_DATABRICKS_DEFAULT points at (e.g. `make workspace`), on a SQLite home in .local/airflow."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("dag_id")
    parser.add_argument("--conf", type=json.loads, default={}, help="DAG params as JSON")
    parser.add_argument("--airflow-home", type=Path, default=REPO_ROOT / ".local" / "airflow")
    parser.add_argument(
        "--sensor-timeout",
        type=float,
        default=60,
        help="seconds the promotion DAG waits for a pending request before skipping",
    )
    args = parser.parse_args(argv)
    if not os.environ.get("AIRFLOW_CONN_DATABRICKS_DEFAULT"):
        parser.error("set AIRFLOW_CONN_DATABRICKS_DEFAULT to the workspace connection first (see README)")
    configure_airflow(args.airflow_home.resolve())
    migrate_db()
    dags = load_dags()
    if args.dag_id not in dags:
        parser.error(f"unknown DAG {args.dag_id!r}; DAGs: {sorted(dags)}")
    outcome = run_dag(adapt_for_dag_test(dags[args.dag_id], sensor_timeout=args.sensor_timeout), args.conf)
    for task in sorted(outcome.tasks, key=lambda t: (t.task_id, t.map_index)):
        index = f"[{task.map_index}]" if task.map_index >= 0 else ""
        print(f"{task.task_id}{index}: {task.state}")
    print(f"{outcome.dag_id} {outcome.run_id}: {outcome.state}")
    if outcome.value("read_training_result", "version") is not None:
        print(
            f"Trained version {outcome.value('read_training_result', 'version')} of "
            f"{outcome.value('read_training_result', 'model_name')!r}; transition request: "
            f"{outcome.task('request_transition')[0].state if outcome.task('request_transition') else '-'}"
        )
    for line in decision_lines(outcome):
        print(line)
    return 0 if outcome.succeeded else 1


if __name__ == "__main__":
    raise SystemExit(main())
