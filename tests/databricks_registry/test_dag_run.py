"""The components in a real Airflow DAG run (`dag.test()`): the sensor defers, the trigger runs, mapped decisions."""

from __future__ import annotations

import threading

import pytest
from support.waiting import wait_for

from databricks_registry.hooks import ModelRegistryHook

pytestmark = pytest.mark.slow  # a whole Airflow DAG run (dag.test(): DB, deferral, mapped tasks)

PASSED = {
    "passed": True,
    "checks": [{"name": "schema", "passed": True}],
    "metrics": {},
    "champion_version": None,
    "evaluation_run_id": "run-1",
    "report_markdown": "all checks passed",
}


@pytest.fixture(scope="module")
def airflow_db():
    from airflow.utils.db import upgradedb

    upgradedb()


DAG_FILE = """
import os
from datetime import datetime
from airflow.sdk import DAG, task

from databricks_registry.operators import TransitionRequestDecisionOperator
from databricks_registry.sensors import TransitionRequestSensor

PASSED = {passed!r}

with DAG(dag_id="registry_components_e2e", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
    pending = TransitionRequestSensor(task_id="wait", model_name=os.environ["E2E_MODEL_NAME"], deferrable=True,
                                      poke_interval=0.5, timeout=120)

    @task
    def test_candidate(event: dict) -> dict:
        return PASSED

    results = test_candidate.expand(event=pending.output)
    TransitionRequestDecisionOperator.partial(task_id="decide").expand_kwargs(
        pending.output.zip(results).map(lambda pair: {{"request": pair[0], "test_result": pair[1]}}))
"""


def load_dag(tmp_path, monkeypatch, request, model_name: str):
    """Write the DAG to its own dags folder: dag.test() syncs the DAG from the dags-folder bundle first."""
    from airflow import settings
    from airflow.configuration import conf
    from airflow.dag_processing.dagbag import DagBag

    (tmp_path / "registry_e2e.py").write_text(DAG_FILE.format(passed=PASSED))
    monkeypatch.setenv("E2E_MODEL_NAME", model_name)
    previous = conf.get("core", "dags_folder")
    conf.set("core", "dags_folder", str(tmp_path))
    request.addfinalizer(lambda: conf.set("core", "dags_folder", previous))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(tmp_path))
    bag = DagBag(dag_folder=str(tmp_path))
    assert not bag.import_errors and bag.dags, bag.import_errors
    return bag.dags["registry_components_e2e"]


def retrain_once_the_trigger_polls(proxy, workspace, model_name: str, versions: int = 2) -> threading.Thread:
    """What the retraining DAG does, once the sensor waits in its trigger (plain REST: no Airflow in this thread).

    The sensor pokes once itself, then defers: a second `registered-models/get` can only come from the trigger.
    """
    import requests

    def work():
        wait_for(lambda: proxy.total("registered-models/get") >= 2, timeout=120, what="the trigger's first poll")
        api, auth = f"{workspace.url}/api/2.0/mlflow", {"Authorization": f"Bearer {workspace.token}"}
        for _ in range(versions):
            version = requests.post(
                f"{api}/model-versions/create",
                headers=auth,
                timeout=30,
                json={"name": model_name, "source": "dbfs:/models/new"},
            ).json()
            requests.post(
                f"{api}/transition-requests/create",
                headers=auth,
                timeout=30,
                json={
                    "name": model_name,
                    "version": version["model_version"]["version"],
                    "stage": "Staging",
                    "comment": "ready for testing",
                },
            ).raise_for_status()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_sensor_defers_then_every_request_is_decided(
    airflow_db, registered, model_name, databricks_env, proxied, tmp_path, monkeypatch, request
):
    registered(1)
    dag = load_dag(tmp_path, monkeypatch, request, model_name)
    proxied.reset()
    thread = retrain_once_the_trigger_polls(proxied, databricks_env, model_name)
    dag_run = dag.test()
    thread.join()
    assert str(dag_run.state) == "success"
    assert proxied.total("registered-models/get") >= 3  # sensor poke, trigger polls until the requests appeared
    hook = ModelRegistryHook()
    # Both requests were approved (mapped tasks, in no guaranteed order): the last approval archived the other.
    stages = sorted(hook.get_model_version(model_name, v).current_stage for v in ("2", "3"))
    assert stages == ["Archived", "Staging"]
    assert hook.list_transition_requests(model_name, "2") == hook.list_transition_requests(model_name, "3") == []
    assert proxied.total("comments/create") == 2
