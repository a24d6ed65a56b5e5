"""End to end: the real DAGs submit the real notebooks to the session's local workspace (dag.test(), SQLite Airflow).

One model's life, in order: retrain (the session's one retraining run, the `retrained` fixture) -> promotion
approves v1 -> a person registers two versions by hand and asks for Staging (a good one and one missing the Age
column) -> one promotion run decides both: the good one is approved and v1 archived, the bad one rejected with a
comment naming the failed check -> a re-run changes nothing.
"""

from __future__ import annotations

import dag_runner
import pytest
from dagtest_support import RegistryClient, point_clients_at
from support.hand_made_model import register_model_without_age
from support.trained_model import MODEL

pytestmark = [pytest.mark.e2e, pytest.mark.notebook]
PROMOTION_CONF = {"model_name": MODEL, "max_slice_gap": 0.5}  # 1,548 holdout rows: slices are noisy


@pytest.fixture(scope="module")
def e2e(workspace, retrained):
    mp = pytest.MonkeyPatch()
    try:
        point_clients_at(workspace, mp)
        yield dag_runner.load_dags(), RegistryClient(workspace)
    finally:
        mp.undo()


def _run(dags, dag_id, conf, **adapt):
    return dag_runner.run_dag(dag_runner.adapt_for_dag_test(dags[dag_id], **adapt), conf)


def _decisions(outcome) -> dict[str, dict]:
    return {d.xcom["return_value"]["version"]: d.xcom["return_value"] for d in outcome.task("candidate.decide")}


def test_retrain_then_promote_approves_the_first_version(e2e, retrained):
    dags, registry = e2e
    assert retrained.outcome.succeeded, retrained.outcome.failed_tasks()
    trained = retrained.outcome.value("read_training_result")
    assert trained["version"] == "1" and trained["automl_backend"] == "flaml"
    assert trained["metrics"]["holdout_f1"] > 0.4

    promoted = _run(dags, "churn_model_promotion", PROMOTION_CONF)
    assert promoted.succeeded, promoted.failed_tasks()
    tested = promoted.value("candidate.read_test_result", map_index=0)
    assert [c["name"] for c in tested["checks"]] == [
        "input_schema",
        "prediction_contract",
        "holdout_quality",
        "champion_comparison",
        "data_drift",
        "slice_gaps",
        "batch_latency",
        "metadata",
    ]
    assert tested["passed"] is True and tested["champion_version"] is None
    tags = {t.key: t.value for t in registry.sdk.model_registry.get_model_version(MODEL, "1").model_version.tags}
    assert tags["check.holdout_quality"] == "passed" and tags["check.evaluation_run_id"]
    assert _decisions(promoted)["1"]["decision"] == "approved"
    assert registry.stage(MODEL, "1") == "Staging"
    assert registry.open_requests(MODEL, "1") == []
    comments = registry.comments(MODEL, "1")
    assert any("APPROVED" in c and "holdout_quality" in c for c in comments)


def test_one_run_decides_a_good_and_a_bad_hand_made_request(e2e):
    dags, registry = e2e
    good = _register_copy_of(registry, MODEL, "1")
    bad = register_model_without_age(MODEL)
    registry.request(MODEL, good, comment="same artifacts as v1, re-registered by hand")
    registry.request(MODEL, bad, comment="my quick model, please promote")

    promoted = _run(dags, "churn_model_promotion", PROMOTION_CONF)
    assert promoted.succeeded, promoted.failed_tasks()
    decisions = _decisions(promoted)
    assert set(decisions) == {good, bad}
    assert decisions[good]["decision"] == "approved"
    assert decisions[bad]["decision"] == "rejected" and "input_schema" in decisions[bad]["reason"]
    # Approving the good one archived v1 (the previous Staging version); the bad one never reached Staging.
    assert registry.stage(MODEL, good) == "Staging"
    assert registry.stage(MODEL, "1") == "Archived"
    assert registry.stage(MODEL, bad) == "None"
    assert registry.open_requests(MODEL, good) == [] and registry.open_requests(MODEL, bad) == []
    assert any("REJECTED" in c and "input_schema" in c for c in registry.comments(MODEL, bad))


def test_rerunning_promotion_with_nothing_pending_changes_nothing(e2e):
    dags, registry = e2e
    before = registry.snapshot(MODEL)
    rerun = _run(dags, "churn_model_promotion", PROMOTION_CONF, sensor_timeout=5)
    assert rerun.succeeded
    assert rerun.task("wait_for_transition_requests")[0].state == "skipped"
    assert registry.snapshot(MODEL) == before


def _register_copy_of(registry: RegistryClient, name: str, version: str) -> str:
    """A person re-registers an existing version's artifacts (e.g. to re-run its review)."""
    original = registry.sdk.model_registry.get_model_version(name, version).model_version
    created = registry.sdk.model_registry.create_model_version(
        name, original.source, run_id=original.run_id, description="copy of v1"
    )
    return created.model_version.version
