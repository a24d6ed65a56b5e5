"""DAG integrity: the files in dags/ parse, and carry the settings a production deployment relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

DAGS_FOLDER = REPO_ROOT / "dags"
DAG_IDS = {"churn_model_retraining", "churn_model_promotion"}
HEAVY_MODULES = ("mlflow", "pandas", "sklearn", "numpy", "flaml", "lightgbm", "deltalake", "churn", "local_workspace")
RETRAIN_WIDGETS = {
    "model_name",
    "source_table",
    "target_col",
    "primary_metric",
    "timeout_minutes",
    "registry",
    "registry_uri",
    "as_of",
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


@pytest.fixture(scope="module")
def dags(dagbag):
    return dagbag.dags


def _databricks_tasks(dag):
    from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator

    return [task for task in dag.tasks if isinstance(task, DatabricksSubmitRunOperator)]


def test_dag_files_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) >= DAG_IDS


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_production_settings(dags, dag_id):
    dag = dags[dag_id]
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert {"churn", "databricks"} <= set(dag.tags)
    assert dag.doc_md and dag_id.replace("_", " ").split()[-1] in dag.doc_md.lower()
    for task in dag.tasks:
        assert task.retries >= 2, f"{task.task_id} has retries={task.retries}"
        assert task.on_failure_callback, f"{task.task_id} has no failure notification"


def test_retraining_runs_monthly_and_promotion_on_asset_or_hourly(dags):
    from airflow.sdk import AssetOrTimeSchedule

    from churn_pipeline.assets import TRANSITION_REQUESTS

    retrain, promote = dags["churn_model_retraining"], dags["churn_model_promotion"]
    assert retrain.timetable.expression == "0 0 1 * *"  # @monthly
    assert isinstance(promote.timetable, AssetOrTimeSchedule)
    assert promote.timetable.timetable.expression == "0 * * * *"
    assert promote.timetable.asset_condition == TRANSITION_REQUESTS
    publishers = [task for task in retrain.tasks if TRANSITION_REQUESTS in task.outlets]
    assert [task.task_id for task in publishers] == ["publish_request"]
    assert publishers[0].upstream_task_ids == {"request_transition", "read_training_result"}


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_every_databricks_task_has_timeout_and_explicit_base_parameters(dags, dag_id):
    tasks = _databricks_tasks(dags[dag_id])
    assert tasks, "no DatabricksSubmitRunOperator in the DAG"
    for task in tasks:
        assert task.timeout_seconds and int(task.timeout_seconds) > 0
        for run_task in task.tasks:
            assert int(run_task["timeout_seconds"]) > 0
            assert run_task["notebook_task"]["base_parameters"], f"{task.task_id}: empty base_parameters"
            assert run_task["notebook_task"]["source"] in ("WORKSPACE", "GIT")


class _TaskInstance:
    """What the notebook operators read from the running task instance to make their idempotency token."""

    def __init__(self, task, try_number: int):
        self.dag_id, self.task_id, self.run_id = task.dag_id, task.task_id, "scheduled__2026-12-01T00:00:00+00:00"
        self.map_index, self.try_number = -1, try_number


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_every_try_of_a_databricks_task_sends_its_own_idempotency_token(dags, dag_id, monkeypatch):
    """Databricks answers a repeated token with the run it already has: a token fixed in the DAG file would hand
    every later run and every retry the first run's result. Each try makes its own when it executes."""
    import copy

    from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator

    sent: list[str] = []  # what the provider's submit would send (stubbed: no workspace here)
    monkeypatch.setattr(DatabricksSubmitRunOperator, "execute", lambda op, context: sent.append(op.idempotency_token))
    tasks = _databricks_tasks(dags[dag_id])
    for task in tasks:
        assert task.idempotency_token is None, f"{task.task_id}: a token fixed at parse time repeats every run"
        for try_number in (1, 2):
            attempt = copy.copy(task)  # each try runs a fresh copy of the task, as a worker does
            attempt.cluster_profile = "local"  # rendered from the trigger form at run time
            attempt.execute({"ti": _TaskInstance(task, try_number), "params": {}})
    assert len(sent) == 2 * len(tasks) and len(set(sent)) == len(sent), sent
    assert all(token and len(token) <= 64 for token in sent), sent


def test_retraining_sends_exactly_the_notebook_widgets(dags):
    (retrain,) = _databricks_tasks(dags["churn_model_retraining"])
    params = retrain.tasks[0]["notebook_task"]["base_parameters"]
    assert set(params) == RETRAIN_WIDGETS
    assert retrain.tasks[0]["notebook_task"]["notebook_path"].endswith("/retrain_churn_model")


def test_promotion_tests_each_request_in_a_mapped_group_and_waits_deferrably(dags):
    from databricks_registry.sensors import TransitionRequestSensor

    promote = dags["churn_model_promotion"]
    sensor = promote.get_task("wait_for_transition_requests")
    assert isinstance(sensor, TransitionRequestSensor)
    assert sensor.deferrable is True and sensor.soft_fail is True
    assert sensor.timeout < 3600, "a run with nothing pending must end before the next hourly run"
    from airflow.sdk.definitions.taskgroup import MappedTaskGroup

    assert isinstance(promote.task_group_dict["candidate"], MappedTaskGroup)
    shared = {"candidate.run_tests", "candidate.read_test_result", "candidate.human_review"}
    workspace = {"wait_for_transition_requests", "candidate.decide"}
    unity_catalog = {
        "wait_for_pending_validation",
        "candidate.record_validation",
        "candidate.wait_for_approval_tag",
        "candidate.promote",
    }
    assert shared | workspace | unity_catalog <= set(promote.task_dict)
    from churn_pipeline.registry_steps import RegistryStep

    for task_id in workspace | unity_catalog:  # each skips itself in runs of the other registry
        task = promote.get_task(task_id)
        assert isinstance(task, RegistryStep) and task.registry == ("uc" if task_id in unity_catalog else "workspace")
    uc_sensor = promote.get_task("wait_for_pending_validation")
    assert uc_sensor.deferrable is True and uc_sensor.soft_fail is True and uc_sensor.timeout == sensor.timeout
    (tests,) = _databricks_tasks(promote)
    assert "event_message" in tests.tasks[0]["notebook_task"]["base_parameters"]
    assert tests.tasks[0]["notebook_task"]["notebook_path"].endswith("/test_candidate_model")


def test_params_reject_bad_input(dags):
    from airflow.sdk.definitions.param import ParamsDict
    from airflow.sdk.exceptions import ParamValidationError

    params = ParamsDict(dags["churn_model_retraining"].params)
    with pytest.raises(ParamValidationError, match="cluster_profile"):
        params.update({"cluster_profile": "nope"})
        params.validate()
    promo = ParamsDict(dags["churn_model_promotion"].params)
    with pytest.raises(ParamValidationError, match="version"):
        promo.update({"version": "three"})
        promo.validate()


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_trigger_form_accepts_its_defaults_and_describes_every_param(dags, dag_id):
    """Airflow's trigger form: an empty value (None or "") is "missing" unless the schema allows null (the Trigger
    button would stay disabled); a `description` is shown as plain text, so no Markdown in it."""
    from airflow.sdk.definitions.param import ParamsDict

    params = ParamsDict(dags[dag_id].params)
    params.validate()
    for name in params:
        param = params.get_param(name)
        schema_type = param.schema.get("type")
        if param.value in (None, ""):
            assert isinstance(schema_type, list) and "null" in schema_type, f"{name}: empty default, not nullable"
        assert param.description and not set(param.description) & set("`*[]"), f"{name}: {param.description!r}"
    assert params.get_param("registry").schema["enum"] == ["workspace", "uc"]
    params.update({"registry": "uc", "model_name": None})
    params.validate()  # null model_name: the mode's default model
    if dag_id == "churn_model_promotion":
        params.update({"version": None, "approval_channel": "databricks_tag"})
        params.validate()  # "every pending version"


def test_importing_dag_files_loads_no_heavy_library():
    """What the dag processor pays per parse: mlflow/pandas/sklearn must never come in through dags/."""
    code = (
        "import json, runpy, sys\n"
        f"for path in {sorted(str(p) for p in DAGS_FOLDER.glob('*.py'))!r}:\n"
        "    runpy.run_path(path)\n"
        f"print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_retry_delay_backs_off(dags):
    for dag in dags.values():
        for task in dag.tasks:
            assert task.retry_delay >= timedelta(minutes=1)
            assert task.retry_exponential_backoff
