"""End to end in Unity Catalog mode: the same DAGs and notebooks as tests/e2e/test_churn_dags_e2e.py, param
`registry=uc`, against the session's local workspace (dag.test(), SQLite Airflow).

One UC model's life: retraining registers v1 in Unity Catalog, tagged validation_status=PENDING -> promotion
tests it, records PASSED with the check tags and the report, moves `challenger` and then `champion` to it -> a
person registers two versions by hand (a copy of the session's workspace-registry version with MLflow's
`copy_model_version`, the migration path, and a model missing the Age column) and tags them PENDING -> one run
tests both against `@champion`: the copy becomes champion (v1 tagged as replaced), the bad one ends FAILED with no
alias -> a re-run changes nothing.
"""

from __future__ import annotations

import dag_runner
import pytest
from dagtest_support import point_clients_at
from support.hand_made_model import register_model_without_age

pytestmark = [pytest.mark.e2e, pytest.mark.notebook]
SCHEMA = "main.churn_e2e"
MODEL = f"{SCHEMA}.churn_model"
UC_CONF = {"registry": "uc", "model_name": MODEL}
# This module tests the UC flow, not the models: thresholds a 6-second AutoML model always meets, and any F1 drop
# allowed (which of v1 and the migrated copy is better varies run to run). The checks are tested in tests/churn;
# the hand-made model still fails input_schema.
PROMOTION_CONF = {**UC_CONF, "min_f1": 0.3, "min_roc_auc": 0.6, "max_f1_drop": 1.0, "max_slice_gap": 0.9}


class UnityCatalog:
    """The model's versions, tags and aliases through MLflow's `databricks-uc` client (not the code under test)."""

    def __init__(self):
        import mlflow

        self.client = mlflow.MlflowClient(tracking_uri="databricks", registry_uri="databricks-uc")

    def tags(self, version: str) -> dict[str, str]:
        return dict(self.client.get_model_version(MODEL, version).tags)

    def aliases(self) -> dict[str, str]:
        return dict(self.client.get_registered_model(MODEL).aliases)

    def mark_pending(self, version: str) -> None:
        self.client.set_model_version_tag(MODEL, version, "validation_status", "PENDING")

    def snapshot(self) -> tuple:
        versions = sorted((v.version for v in self.client.search_model_versions(f"name = '{MODEL}'")), key=int)
        described = {v: self.client.get_model_version(MODEL, v).description for v in versions}
        return self.aliases(), {v: self.tags(v) for v in versions}, described


@pytest.fixture(scope="module")
def uc(workspace, retrained):
    """The session's workspace, seeded and with its workspace-registry version (`retrained`), plus the schema."""
    from databricks.sdk import WorkspaceClient

    catalog, schema = SCHEMA.split(".")
    WorkspaceClient(host=workspace.url, token=workspace.token).schemas.create(name=schema, catalog_name=catalog)
    mp = pytest.MonkeyPatch()
    try:
        point_clients_at(workspace, mp)
        yield dag_runner.load_dags(), UnityCatalog()
    finally:
        mp.undo()


def _run(dags, dag_id, conf, **adapt):
    return dag_runner.run_dag(dag_runner.adapt_for_dag_test(dags[dag_id], **adapt), conf)


def _by_version(outcome, task_id) -> dict[str, dict]:
    return {
        t.xcom["return_value"]["version"]: t.xcom["return_value"]
        for t in outcome.task(task_id)
        if t.xcom.get("return_value")
    }


def test_retraining_registers_a_pending_uc_version_and_promotion_makes_it_champion(uc):
    dags, registry = uc
    trained = _run(dags, "churn_model_retraining", {**UC_CONF, "timeout_minutes": 0.1})
    assert trained.succeeded, trained.failed_tasks()
    result = trained.value("read_training_result")
    assert (result["model_name"], result["version"], result["registry"]) == (MODEL, "1", "uc")
    assert trained.task("request_transition")[0].state == "skipped"  # UC has no transition requests
    assert trained.task("publish_request")[0].state == "success"
    assert registry.tags("1") == {"validation_status": "PENDING"}

    promoted = _run(dags, "churn_model_promotion", PROMOTION_CONF)
    assert promoted.succeeded, promoted.failed_tasks()
    assert promoted.task("wait_for_transition_requests")[0].state == "skipped"
    assert [t.state for t in promoted.task("candidate.decide")] == ["skipped"]
    tested = promoted.value("candidate.read_test_result", map_index=0)
    assert tested["passed"] is True and tested["champion_version"] is None
    assert _by_version(promoted, "candidate.record_validation")["1"]["verdict"] == "passed"
    assert _by_version(promoted, "candidate.promote")["1"]["verdict"] == "promoted"
    tags = registry.tags("1")
    assert tags["validation_status"] == "PASSED" and tags["check_holdout_quality"] == "PASSED"
    assert tags["check_evaluation_run_id"] == tested["evaluation_run_id"]
    assert registry.aliases() == {"challenger": "1", "champion": "1"}
    assert "holdout_quality" in registry.client.get_model_version(MODEL, "1").description


def test_one_run_promotes_a_migrated_copy_and_fails_a_bad_hand_made_version(uc, retrained):
    dags, registry = uc
    import mlflow

    source = f"models:/{retrained.model_name}/{retrained.version}"  # the session's workspace-registry version
    good = mlflow.MlflowClient(registry_uri="databricks").copy_model_version(source, MODEL).version
    bad = register_model_without_age(MODEL, registry_uri="databricks-uc")
    registry.mark_pending(good)
    registry.mark_pending(bad)

    promoted = _run(dags, "churn_model_promotion", PROMOTION_CONF)
    assert promoted.succeeded, promoted.failed_tasks()
    validations = _by_version(promoted, "candidate.record_validation")
    assert set(validations) == {good, bad}
    assert validations[good]["verdict"] == "passed" and validations[bad]["verdict"] == "failed"
    for index in range(2):  # both compared with the champion, v1
        assert promoted.value("candidate.read_test_result", map_index=index)["champion_version"] == "1"
    assert _by_version(promoted, "candidate.promote")[good]["verdict"] == "promoted"
    assert registry.aliases() == {"challenger": good, "champion": good}
    bad_tags = registry.tags(bad)
    assert bad_tags["validation_status"] == "FAILED" and bad_tags["check_input_schema"] == "FAILED"
    assert registry.client.get_model_version(MODEL, bad).aliases == []
    assert registry.tags("1")["champion_replaced_by"] == good


def test_rerunning_promotion_with_nothing_pending_changes_nothing(uc):
    dags, registry = uc
    before = registry.snapshot()
    rerun = _run(dags, "churn_model_promotion", PROMOTION_CONF, sensor_timeout=5)
    assert rerun.succeeded
    assert rerun.task("wait_for_pending_validation")[0].state == "skipped"
    assert registry.snapshot() == before
