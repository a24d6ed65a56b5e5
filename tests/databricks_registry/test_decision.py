"""TransitionRequestDecisionOperator against the local workspace: approve, reject, idempotency, conflicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowSkipException
from fake_context import make_context
from registry_setup import move_to_stage

from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.operators import TransitionRequestDecisionOperator
from databricks_registry.sensors import TransitionRequestSensor

PASSED = {
    "passed": True,
    "checks": [{"name": "schema", "passed": True}],
    "metrics": {"f1": 0.61},
    "champion_version": "1",
    "evaluation_run_id": "abc123",
    "report_markdown": "| check | ok |\n|---|---|",
}
FAILED = {
    **PASSED,
    "passed": False,
    "checks": [{"name": "schema", "passed": True}, {"name": "f1_vs_champion", "passed": False}],
}


def comments(workspace, name: str, version: str) -> list[str]:
    # The public API cannot list comments; read the local workspace's own store to check what users would see.
    from local_workspace.registry import models

    return [
        c["comment"]
        for c in models.list_comments(Path(workspace.data_dir) / "workspace.db", workspace.user, name, version)
    ]


def pending_event(model_name: str, version: str) -> dict:
    [event] = (
        TransitionRequestSensor(task_id="s", model_name=model_name, versions=[version], lookback_versions=0)
        .poke(make_context())
        .xcom_value
    )
    return event


def decide(request, test_result, context=None, **kwargs):
    operator = TransitionRequestDecisionOperator(task_id="decide", request=request, test_result=test_result, **kwargs)
    return operator.execute(context or make_context())


@pytest.fixture()
def candidate(registered, model_name):
    """v1 already in Staging (the champion), v2 with an open request to Staging: returns v2's event."""
    hook = ModelRegistryHook()
    v1, v2 = registered(2)
    move_to_stage(hook, model_name, v1, "Staging")
    hook.create_transition_request(model_name, v2, "Staging", "ready for testing")
    return pending_event(model_name, v2)


def test_passed_result_is_approved_archiving_the_old_version_with_the_report(candidate, model_name, workspace):
    context = make_context()
    result = decide(candidate, PASSED, context, test_run_page_url="http://ws/#job/runs/7")
    assert result["decision"] == "approved" and result["version"] == "2" and result["to_stage"] == "Staging"
    hook = ModelRegistryHook()
    assert hook.get_model_version(model_name, "2").current_stage == "Staging"
    assert hook.get_model_version(model_name, "1").current_stage == "Archived"
    [comment] = comments(workspace, model_name, "2")
    assert comment == result["comment"]
    assert comment.startswith("### Airflow decision: APPROVED transition to Staging")
    assert "| check | ok |" in comment and "champion version 1" in comment
    assert context["ti"].xcoms["run_page_url"] == "http://ws/#job/runs/7"


def test_rerun_in_the_same_dag_run_does_nothing_twice(candidate, model_name, workspace, proxied):
    context = make_context(run_id="scheduled__2026-11-01")
    first = decide(candidate, PASSED, context)
    proxied.reset()
    again = decide(candidate, PASSED, make_context(run_id="scheduled__2026-11-01"))
    assert again["decision"] == "approved" and "already decided by this DAG run" in again["reason"]
    assert proxied.total("transition-requests/approve") == 0 and proxied.total("comments/create") == 0
    assert comments(workspace, model_name, "2") == [first["comment"]]


def test_version_already_in_target_stage_succeeds_without_action(candidate, model_name, workspace):
    ModelRegistryHook().approve_transition_request(model_name, "2", "Staging", True, "approved by a person")
    result = decide(candidate, PASSED)
    assert result["decision"] == "skipped" and "already in Staging" in result["reason"]
    assert comments(workspace, model_name, "2") == []


def test_failed_result_is_rejected_with_the_failing_checks(candidate, model_name, workspace):
    result = decide(candidate, FAILED)
    assert result["decision"] == "rejected" and "f1_vs_champion" in result["reason"]
    hook = ModelRegistryHook()
    assert hook.get_model_version(model_name, "2").current_stage == "None"
    assert hook.list_transition_requests(model_name, "2") == []
    [comment] = comments(workspace, model_name, "2")
    assert comment.startswith("### Airflow decision: REJECTED") and "f1_vs_champion" in comment


@pytest.mark.parametrize("test_result", [None, {}, "not a dict", {"passed": "true"}])
def test_missing_or_unclear_result_never_approves(test_result, candidate, model_name):
    result = decide(candidate, test_result, approval="approve")
    assert result["decision"] == "rejected"
    assert ModelRegistryHook().get_model_version(model_name, "2").current_stage == "None"


@pytest.mark.parametrize(
    "approval",
    ["reject", {"decision": "reject", "approver": "ana", "comment": "not now"}, False, {"something": "else"}],
)
def test_approval_step_must_say_approve(approval, candidate):
    result = decide(candidate, PASSED, approval=approval)
    assert result["decision"] == "rejected" and "approval" in result["reason"]


def test_approval_step_saying_approve_approves(candidate):
    assert decide(candidate, PASSED, approval={"decision": "approve", "approver": "ana"})["decision"] == "approved"


@pytest.mark.parametrize("on_conflict, error", [("skip", AirflowSkipException), ("fail", AirflowException)])
def test_request_cancelled_meanwhile_is_reported_and_left_alone(
    on_conflict, error, candidate, model_name, workspace, proxied
):
    ModelRegistryHook().cancel_transition_request(model_name, "2", "Staging", candidate["requester"])
    proxied.reset()
    with pytest.raises(error, match="no longer open"):
        decide(candidate, PASSED, on_conflict=on_conflict)
    assert proxied.total("transition-requests/approve") == 0 and proxied.total("comments/create") == 0
    assert proxied.total("set-tag") == 0
    assert comments(workspace, model_name, "2") == []


def test_request_rejected_by_a_person_meanwhile_is_skipped(candidate, model_name, workspace):
    ModelRegistryHook().reject_transition_request(model_name, "2", "Staging", "a person said no")
    with pytest.raises(AirflowSkipException, match="someone cancelled, approved or rejected"):
        decide(candidate, PASSED)
    assert ModelRegistryHook().get_model_version(model_name, "2").current_stage == "None"


def test_retry_after_a_crash_between_action_and_comment_posts_the_comment_once(
    candidate, model_name, workspace, proxied, monkeypatch
):
    real_set_tag = ModelRegistryHook.set_model_version_tag
    dead = []

    def worker_dies_before_commenting(self, name, version, key, value):
        if '"phase": "commenting"' in value and not dead:
            dead.append(True)
            raise SystemExit("worker died")
        return real_set_tag(self, name, version, key, value)

    monkeypatch.setattr(ModelRegistryHook, "set_model_version_tag", worker_dies_before_commenting)
    with pytest.raises(SystemExit):
        decide(candidate, PASSED, make_context(run_id="manual__crash"), retry_limit=1)
    assert ModelRegistryHook().get_model_version(model_name, "2").current_stage == "Staging"
    assert comments(workspace, model_name, "2") == []
    result = decide(candidate, PASSED, make_context(run_id="manual__crash"), retry_limit=1)
    assert result["decision"] == "approved" and result["comment_confirmed"] is True
    assert proxied.total("transition-requests/approve") == 1
    assert comments(workspace, model_name, "2") == [result["comment"]]


def test_a_503_on_the_comment_is_never_resent(candidate, model_name, workspace, proxied):
    proxied.inject(503, times=1, path_contains="comments/create")
    first = decide(candidate, PASSED, make_context(run_id="manual__503"), retry_limit=3)
    assert first["decision"] == "approved" and first["comment_confirmed"] is False
    again = decide(candidate, PASSED, make_context(run_id="manual__503"), retry_limit=3)
    assert again["decision"] == "approved" and "already decided" in again["reason"]
    assert proxied.total("comments/create") == 1 and proxied.total("transition-requests/approve") == 1


def test_odd_model_name_end_to_end(registered, model_name, workspace):
    name = f"Churn 'Prédiction' \"Bank\" {model_name}"
    (v1,) = registered(1, name=name)
    ModelRegistryHook().create_transition_request(name, v1, "Staging")
    result = decide(pending_event(name, v1), PASSED)
    assert result["decision"] == "approved" and result["model_name"] == name
    assert len(comments(workspace, name, v1)) == 1


def test_bad_arguments_are_refused_before_any_call(proxied):
    with pytest.raises(ValueError, match="on_conflict"):
        TransitionRequestDecisionOperator(task_id="d", request={}, test_result={}, on_conflict="ignore")
    for request in [
        None,
        {"model_name": "m"},
        {"model_name": "m", "version": "x", "to_stage": "Staging"},
        {"model_name": "m", "version": "1", "to_stage": "Stage"},
    ]:
        with pytest.raises(ValueError):
            decide(request, PASSED)
    assert proxied.total() == 0
