"""The real DAG files in Unity Catalog mode (`registry=uc`), with the stub notebooks (tests/dags/stub_notebooks)
against the session's local workspace: the orchestration of the UC loop in seconds. Retraining registers a PENDING
version and files no request; promotion records each candidate's validation, asks for approval in Airflow or waits
for a person's `approval` tag in Databricks, and moves `champion`; a FAILED version gets no alias and nobody is
asked about it; a re-run changes nothing. The real notebooks run in tests/e2e/test_churn_dags_uc_e2e.py."""

from __future__ import annotations

import contextlib
import os
import threading

import dag_runner
import pytest
import requests
from support.waiting import wait_for

pytestmark = pytest.mark.notebook  # every DAG run submits the stub notebooks


class StubUnityCatalog:
    """One UC model through MLflow's databricks-uc REST paths (plain HTTP: not the code under test)."""

    def __init__(self, workspace, name: str):
        self.name, self.url = name, f"{workspace.url}/api/2.0/mlflow/unity-catalog/"
        self.headers = {"Authorization": f"Bearer {workspace.token}"}

    def call(self, method: str, path: str, body: dict) -> dict:
        sent = {"params": body} if method == "GET" else {"json": body}
        response = requests.request(method, self.url + path, headers=self.headers, timeout=30, **sent)
        response.raise_for_status()
        return response.json()

    def register_pending(self, description: str) -> str:
        """A READY version tagged validation_status=PENDING, as a person registering by hand would leave it."""
        with contextlib.suppress(requests.HTTPError):
            self.call("POST", "registered-models/create", {"name": self.name})
        created = self.call(
            "POST", "model-versions/create", {"name": self.name, "source": "s3://stub", "description": description}
        )
        version = created["model_version"]["version"]
        self.call("POST", "model-versions/finalize", {"name": self.name, "version": version})
        self.set_tag(version, "validation_status", "PENDING")
        return version

    def set_tag(self, version: str, key: str, value: str) -> None:
        self.call("POST", "model-versions/set-tag", {"name": self.name, "version": version, "key": key, "value": value})

    def tags(self, version: str) -> dict[str, str]:
        found = self.call("GET", "model-versions/get", {"name": self.name, "version": version})["model_version"]
        return {tag["key"]: tag["value"] for tag in found.get("tags", [])}

    def aliases(self) -> dict[str, str]:
        model = self.call("GET", "registered-models/get", {"name": self.name})["registered_model"]
        return {alias["alias"]: str(alias["version"]) for alias in model.get("aliases", [])}

    def snapshot(self, versions: list[str]) -> tuple:
        return self.aliases(), {v: self.tags(v) for v in versions}


@pytest.fixture(scope="module")
def uc_stub(stub_env):
    from databricks.sdk import WorkspaceClient

    workspace, dags, _ = stub_env
    schema = f"wiring_{os.getpid()}"
    WorkspaceClient(host=workspace.url, token=workspace.token).schemas.create(name=schema, catalog_name="main")
    model = f"main.{schema}.churn_stub"
    return dags, StubUnityCatalog(workspace, model), {"registry": "uc", "model_name": model}


def _run(dags, dag_id, conf, **adapt):
    # Every run names the params it relies on: dag.test() runs reuse the module's task objects.
    return dag_runner.run_dag(dag_runner.adapt_for_dag_test(dags[dag_id], **adapt), conf)


def _approve_by_tag_once_validated(uc: StubUnityCatalog, version: str) -> threading.Thread:
    """A person in Catalog Explorer: once the version is PASSED, sets approval=Approved (deployment-job style)."""

    def approve() -> None:
        wait_for(lambda: uc.tags(version).get("validation_status") == "PASSED", timeout=300, what="validation")
        uc.set_tag(version, "approval", "Approved")

    thread = threading.Thread(target=approve, daemon=True)
    thread.start()
    return thread


def test_uc_retraining_then_promotion_approved_by_the_approval_tag(uc_stub):
    dags, uc, conf = uc_stub
    trained = _run(dags, "churn_model_retraining", conf)
    assert trained.succeeded, trained.failed_tasks()
    assert trained.value("read_training_result")["registry"] == "uc"
    assert trained.task("request_transition")[0].state == "skipped"
    assert uc.tags("1") == {"validation_status": "PENDING"}

    approver = _approve_by_tag_once_validated(uc, "1")
    promotion_conf = {**conf, "require_human_approval": True, "approval_channel": "databricks_tag"}
    promoted = _run(dags, "churn_model_promotion", promotion_conf)
    approver.join(timeout=5)
    assert promoted.succeeded, promoted.failed_tasks()
    assert promoted.task("wait_for_transition_requests")[0].state == "skipped"
    assert promoted.task("candidate.human_review")[0].xcom.get("return_value") is None  # not asked in Airflow
    assert promoted.task("candidate.wait_for_approval_tag")[0].state == "success"
    assert promoted.value("candidate.promote", map_index=0)["verdict"] == "promoted"
    assert uc.aliases() == {"challenger": "1", "champion": "1"}
    assert uc.tags("1")["validation_status"] == "PASSED" and uc.tags("1")["check_input_schema"] == "PASSED"


def test_uc_review_in_airflow_promotes_the_good_version_and_never_asks_about_the_failed_one(uc_stub):
    from dagtest_support import answer_review_when_asked

    dags, uc, conf = uc_stub
    good = uc.register_pending("fine")
    bad = uc.register_pending("bad: registered by hand without the Age column")
    thread, answered = answer_review_when_asked("churn_model_promotion", "candidate.human_review", "Approve")
    promoted = _run(
        dags, "churn_model_promotion", {**conf, "require_human_approval": True, "approval_channel": "airflow"}
    )
    thread.join(timeout=5)
    assert promoted.succeeded, promoted.failed_tasks()
    assert len(answered) == 1 and not answered[0].startswith("error"), answered
    verdicts = {t.xcom["return_value"]["version"]: t for t in promoted.task("candidate.record_validation")}
    assert verdicts[good].xcom["return_value"]["verdict"] == "passed"
    assert verdicts[bad].xcom["return_value"]["verdict"] == "failed"
    assert promoted.task("candidate.promote")[verdicts[bad].map_index].state == "skipped"
    assert promoted.value("candidate.promote", map_index=verdicts[good].map_index)["approved_by"]
    assert uc.aliases() == {"challenger": good, "champion": good}
    assert uc.tags(bad)["validation_status"] == "FAILED" and uc.tags(bad)["check_input_schema"] == "FAILED"
    assert uc.tags("1")["champion_replaced_by"] == good


def test_uc_rerun_with_nothing_pending_changes_nothing(uc_stub):
    dags, uc, conf = uc_stub
    before = uc.snapshot(["1", "2", "3"])
    rerun = _run(dags, "churn_model_promotion", {**conf, "require_human_approval": False}, sensor_timeout=3)
    assert rerun.succeeded
    assert rerun.task("wait_for_pending_validation")[0].state == "skipped"
    assert uc.snapshot(["1", "2", "3"]) == before
