"""The real DAG files, run with `dag.test()` against a started local workspace, with stub notebooks.

The stubs (tests/dags/stub_notebooks) keep the notebooks' exit contracts but skip the ML, so these tests check
the orchestration itself in seconds: parameters sent, requests filed, every pending request tested and decided,
approval archives the previous Staging version, a failed check rejects with a comment, a re-run changes nothing.
The real notebooks run in tests/e2e.
"""

from __future__ import annotations

import dag_runner
import pytest

pytestmark = pytest.mark.notebook  # every DAG run submits the stub notebooks

MODEL = "Churn Wiring Stub"


def _run(dags, dag_id, conf, **adapt):
    outcome = dag_runner.run_dag(dag_runner.adapt_for_dag_test(dags[dag_id], **adapt), conf)
    return outcome


def test_retraining_requests_staging_with_explicit_widgets(stub_env):
    workspace, dags, registry = stub_env
    outcome = _run(dags, "churn_model_retraining", {"model_name": MODEL, "timeout_minutes": 0.25})
    assert outcome.succeeded, outcome.failed_tasks()
    result = outcome.value("read_training_result")
    assert result["model_name"] == MODEL and result["version"] == "1"
    requests = registry.open_requests(MODEL, "1")
    assert [str(r.to_stage) for r in requests] == ["Staging"]
    assert "f1 0.6100" in requests[0].comment and "Ready for testing" in requests[0].comment
    # The notebook received exactly the DAG's params as widgets (strings), not the provider's param copy.
    from databricks.sdk import WorkspaceClient

    run = WorkspaceClient(host=workspace.url, token=workspace.token).jobs.get_run(
        outcome.value("retrain_model", "run_id")
    )
    params = run.tasks[0].notebook_task.base_parameters
    assert params["timeout_minutes"] == "0.25" and params["registry_uri"] == "databricks"
    from churn.settings import RETRAIN_WIDGETS

    assert set(params) == set(RETRAIN_WIDGETS) - {"experiment_name"}  # not sent: the widget default applies
    assert len(params["as_of"]) == 10  # the run's data interval end, YYYY-MM-DD


def test_promotion_approves_a_passing_candidate(stub_env):
    _, dags, registry = stub_env
    outcome = _run(dags, "churn_model_promotion", {"model_name": MODEL})
    assert outcome.succeeded, outcome.failed_tasks()
    (decide,) = outcome.task("candidate.decide")
    assert decide.xcom["return_value"]["decision"] == "approved"
    assert registry.stage(MODEL, "1") == "Staging"
    assert registry.open_requests(MODEL, "1") == []
    assert any("APPROVED" in c and "input_schema" in c for c in registry.comments(MODEL, "1"))


def test_two_pending_requests_are_both_decided_in_one_run(stub_env):
    _, dags, registry = stub_env
    retrained = _run(dags, "churn_model_retraining", {"model_name": MODEL})
    assert retrained.succeeded and retrained.value("read_training_result")["version"] == "2"
    bad = registry.register(MODEL, description="bad: registered by hand without the Age column")
    registry.request(MODEL, bad, comment="please promote my hand-made model")

    outcome = _run(dags, "churn_model_promotion", {"model_name": MODEL})
    assert outcome.succeeded, outcome.failed_tasks()
    decisions = {d.xcom["return_value"]["version"]: d.xcom["return_value"] for d in outcome.task("candidate.decide")}
    assert set(decisions) == {"2", bad}
    assert decisions["2"]["decision"] == "approved"
    assert decisions[bad]["decision"] == "rejected"
    assert "input_schema" in decisions[bad]["reason"]
    # Approving v2 archived v1; the rejected version never reached Staging and its request is closed.
    assert registry.stage(MODEL, "1") == "Archived"
    assert registry.stage(MODEL, "2") == "Staging"
    assert registry.stage(MODEL, bad) == "None"
    assert registry.open_requests(MODEL, bad) == []
    assert any("REJECTED" in c and "input_schema" in c for c in registry.comments(MODEL, bad))


def test_rerun_with_nothing_pending_changes_nothing(stub_env):
    _, dags, registry = stub_env
    before = registry.snapshot(MODEL)
    outcome = _run(dags, "churn_model_promotion", {"model_name": MODEL}, sensor_timeout=3)
    assert outcome.succeeded
    assert {t.state for t in outcome.tasks if t.task_id == "wait_for_transition_requests"} == {"skipped"}
    assert outcome.task("candidate.decide")[0].state == "skipped"
    assert registry.snapshot(MODEL) == before


def test_a_version_param_limits_the_run_to_that_version(stub_env):
    _, dags, registry = stub_env
    first = registry.register(MODEL, description="fine")
    second = registry.register(MODEL, description="fine too")
    registry.request(MODEL, first)
    registry.request(MODEL, second)
    outcome = _run(dags, "churn_model_promotion", {"model_name": MODEL, "version": second})
    assert outcome.succeeded, outcome.failed_tasks()
    assert [d.xcom["return_value"]["version"] for d in outcome.task("candidate.decide")] == [second]
    assert registry.stage(MODEL, second) == "Staging"
    assert len(registry.open_requests(MODEL, first)) == 1, "the other version's request stays open"


def test_failed_training_run_fails_the_dag_and_requests_nothing(stub_env):
    _, dags, registry = stub_env
    before = registry.snapshot(MODEL)
    outcome = _run(dags, "churn_model_retraining", {"model_name": MODEL, "source_table": "missing.table"})
    assert outcome.state == "failed"
    states = {t.task_id: t.state for t in outcome.tasks}
    assert states.pop("retrain_model") == "failed"
    assert set(states.values()) == {"upstream_failed"}
    assert registry.snapshot(MODEL) == before


def test_invalid_params_are_refused_before_any_databricks_run(stub_env):
    from airflow.sdk.exceptions import ParamValidationError

    _, dags, registry = stub_env
    before = registry.snapshot(MODEL)
    with pytest.raises(ParamValidationError, match="source_table"):
        _run(dags, "churn_model_retraining", {"model_name": MODEL, "source_table": "not a table; DROP"})
    assert registry.snapshot(MODEL) == before


def test_plain_dag_test_of_a_rerun_ends_instead_of_waiting_forever(stub_env):
    """No harness adjustments: the deferred sensor's trigger enforces the timeout itself (dag.test() runs the
    trigger inline, without the scheduler's deadline)."""
    registry = stub_env[2]
    dag = dag_runner.load_dags()["churn_model_promotion"]  # fresh: other tests adapted the shared DAG objects
    sensor = dag.get_task("wait_for_transition_requests")
    assert sensor.deferrable is True
    quiet_model = MODEL + " quiet"  # nothing pending for this one (MODEL still has an open request)
    registry.register(quiet_model)
    before = registry.snapshot(quiet_model)
    original_timeout, sensor.timeout = sensor.timeout, 4
    try:
        outcome = dag_runner.run_dag(dag, {"model_name": quiet_model})
    finally:
        sensor.timeout = original_timeout
    assert outcome.succeeded
    assert outcome.task("wait_for_transition_requests")[0].state == "skipped"
    assert registry.snapshot(quiet_model) == before


def test_a_person_rejecting_in_airflow_rejects_the_request_in_the_registry(stub_env):
    """require_human_approval: the review waits in Airflow's Required Actions; a Reject there (tests passed)
    becomes a registry rejection with a comment, not a silently skipped decision."""
    from dagtest_support import answer_review_when_asked

    _, dags, registry = stub_env
    version = registry.register(MODEL, description="fine, but a person says no")
    registry.request(MODEL, version)
    thread, answered = answer_review_when_asked("churn_model_promotion", "candidate.human_review", "Reject")
    outcome = _run(
        dags, "churn_model_promotion", {"model_name": MODEL, "version": version, "require_human_approval": True}
    )
    thread.join(timeout=5)
    assert outcome.succeeded, outcome.failed_tasks()
    assert len(answered) == 1 and not answered[0].startswith("error"), answered
    decision = outcome.task("candidate.decide")[0].xcom["return_value"]
    assert decision["decision"] == "rejected" and "reviewer@example.com" in decision["reason"]
    assert registry.stage(MODEL, version) == "None"
    assert registry.open_requests(MODEL, version) == []
    assert any("REJECTED" in c and "reviewer@example.com" in c for c in registry.comments(MODEL, version))
