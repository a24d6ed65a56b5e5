"""The decision path under faults: real operators, real HTTP, a fault-injecting proxy, a real local workspace.

For every call the path makes and every fault (answer lost after the workspace applied the call, 429, 503, connection
reset before/after forwarding, worker crash before/after the call), the task is retried as Airflow would, and at
the end the registry must hold exactly one decision (request closed, right stage, the old version archived on
approve), exactly one decision comment, and never a promotion the tests did not vouch for.

The one documented exception (README "Reliability: decision path"): comments/create has no read-back API, so when
its outcome is unknown (the request never reached the workspace but the caller cannot know: 503/reset before
forwarding, a worker dying right before sending) the comment is not re-sent: at most one, flagged in the result.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import AirflowSkipException
from tenacity import stop_after_attempt, wait_none

from databricks_registry.errors import RegistryError
from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.operators import (
    CreateTransitionRequestOperator,
    TransitionRequestDecisionOperator,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "databricks_registry"))
from fake_context import make_context
from fault_proxy import CountingProxy, connection_json
from registry_setup import create_model, create_version, move_to_stage

pytestmark = pytest.mark.slow  # every call x every fault kind, each retried to the end: about 80 decision paths

RUN_ID = "scheduled__2026-11-29T00:00:00+00:00"
FAST = {"retry_limit": 3, "retry_args": {"stop": stop_after_attempt(3), "wait": wait_none()}}
PASSED = {
    "passed": True,
    "checks": [{"name": "input_schema", "passed": True}, {"name": "holdout_quality", "passed": True}],
    "champion_version": "1",
    "evaluation_run_id": "run-1",
    "report_markdown": "**PASSED** 2/2 checks",
}
FAILED = {
    **PASSED,
    "passed": False,
    "checks": [{"name": "input_schema", "passed": True}, {"name": "holdout_quality", "passed": False}],
    "report_markdown": "**FAILED** 1/2 checks; failed: holdout_quality",
}


class WorkerCrash(Exception):
    """Stands for the worker dying at this point: raised out of execute, nothing after it runs."""


@pytest.fixture(scope="module")
def proxy(workspace):
    proxy = CountingProxy(workspace.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture()
def faulty(proxy, databricks_env, monkeypatch):
    """`databricks_default` goes through the proxy; `direct` reaches the workspace without faults (for checks)."""
    proxy.reset()
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_DEFAULT", connection_json(proxy, databricks_env.token))
    monkeypatch.setenv("AIRFLOW_CONN_DIRECT", databricks_env.airflow_connection_json())
    return proxy


def direct() -> ModelRegistryHook:
    return ModelRegistryHook("direct")


@pytest.fixture()
def champion_and_candidate(faulty, model_name):
    """v1 in Staging (the champion) and v2 without a request yet; returns the model name."""
    hook = direct()
    create_model(hook, model_name)
    for _ in range(2):
        create_version(hook, model_name, "dbfs:/models/dummy")
    move_to_stage(hook, model_name, "1", "Staging")
    return model_name


def as_airflow_would(operator, tries: int = 5):
    """execute, retried on failure like a task with retries (same DAG run); a skip ends the task."""
    errors = []
    for _ in range(tries):
        try:
            return operator.execute(make_context(run_id=RUN_ID, task_id=operator.task_id))
        except AirflowSkipException:
            raise
        except (RegistryError, WorkerCrash) as e:
            errors.append(e)
    raise AssertionError(f"still failing after {tries} tries: {errors}")


def crash(monkeypatch, method: str, when: str, value_contains: str | None = None) -> list[bool]:
    """The first call of hook.`method` (whose tag value contains `value_contains`) crashes the worker."""
    real = getattr(ModelRegistryHook, method)
    armed = [True]

    def wrapper(self, *args, **kwargs):
        hit = armed[0] and (value_contains is None or value_contains in str(args[-1]))
        if hit and when == "before":
            armed[0] = False
            raise WorkerCrash(f"before {method}")
        result = real(self, *args, **kwargs)
        if hit:
            armed[0] = False
            raise WorkerCrash(f"after {method}")
        return result

    monkeypatch.setattr(ModelRegistryHook, method, wrapper)
    return armed


HOOK_METHODS = {
    "model-versions/get": "get_model_version",
    "transition-requests/list": "list_transition_requests",
    "transition-requests/create": "create_transition_request",
    "transition-requests/approve": "approve_transition_request",
    "transition-requests/reject": "reject_transition_request",
    "comments/create": "create_comment",
    "model-versions/set-tag": "set_model_version_tag",
}


def inject(proxy, monkeypatch, fault: str, path: str) -> list[bool]:
    """Arm `fault` for `path`; "set-tag:<phase>" is the marker write of that phase (crashes) / the first one."""
    phase = None
    if path.startswith("set-tag:"):
        path, phase = "model-versions/set-tag", f'"phase": "{path.split(":", 1)[1]}"'
    if fault == "lost":
        proxy.inject_lost_response(1, path)
    elif fault == "lost_reset":
        proxy.inject_reset(1, path, after_forwarding=True)
    elif fault in ("429", "503"):
        proxy.inject(int(fault), 2, path)
    elif fault == "reset":
        proxy.inject_reset(2, path)
    elif fault in ("late", "garbled"):  # late: 503 now, the write lands right before the retry's; garbled: 200 + HTML
        proxy.inject(503, 1, path, kind=fault)
    else:
        return crash(monkeypatch, HOOK_METHODS[path], fault.removeprefix("crash_"), phase)
    return [False]


def comments(workspace, name: str, version: str) -> list[str]:
    from local_workspace.registry import models

    return [
        c["comment"]
        for c in models.list_comments(Path(workspace.data_dir) / "workspace.db", workspace.user, name, version)
    ]


def decisions(workspace, name: str, version: str) -> list[tuple[str, str]]:
    """APPROVED_REQUEST / REJECTED_REQUEST activities (no public API lists activities; read the workspace's store)."""
    with sqlite3.connect(Path(workspace.data_dir) / "workspace.db") as db:
        rows = db.execute(
            "SELECT activity_type, comment FROM registry_activities WHERE model_name = ? AND "
            "version = ? AND activity_type IN ('APPROVED_REQUEST', 'REJECTED_REQUEST')",
            (name, version),
        ).fetchall()
    return [(kind, comment or "") for kind, comment in rows]


def file_request_and_decide(name: str, test_result: dict, approval=None, arm=None, arm_request=None, **kwargs) -> dict:
    """The promotion's two registry tasks, each retried as Airflow would; `arm`/`arm_request` inject the fault
    right before the task it targets."""
    if arm_request:
        arm_request()
    request = as_airflow_would(
        CreateTransitionRequestOperator(
            task_id="request", model_name=name, version="2", stage="Staging", comment="ready for testing", **FAST
        )
    )
    if arm:
        arm()
    return as_airflow_would(
        TransitionRequestDecisionOperator(
            task_id="decide", request=request, test_result=test_result, approval=approval, **FAST, **kwargs
        )
    )


FAULTS = ["lost", "lost_reset", "429", "503", "reset", "crash_before", "crash_after"]
CRASHES = ["crash_before", "crash_after"]
APPROVE_PATH = [
    (path, fault)
    for path in [
        "transition-requests/create",
        "model-versions/get",
        "transition-requests/list",
        "set-tag:acting",
        "transition-requests/approve",
        "comments/create",
    ]
    for fault in FAULTS
]
APPROVE_PATH += [
    (path, fault) for path in ["set-tag:acted", "set-tag:commenting", "set-tag:commented"] for fault in CRASHES
]
# A write that lands only after the caller gave up (the retry's own write then gets 404), a 2xx with an unreadable body.
APPROVE_PATH += [
    ("transition-requests/approve", "late"),
    ("transition-requests/approve", "garbled"),
    ("comments/create", "garbled"),
]
REJECT_PATH = [(path, fault) for path in ["transition-requests/reject", "comments/create"] for fault in FAULTS]
REJECT_PATH += [("transition-requests/reject", "late"), ("transition-requests/reject", "garbled")]
REJECT_PATH += [("set-tag:acting", fault) for fault in CRASHES] + [("set-tag:commenting", fault) for fault in CRASHES]
# comments/create cannot be read back: when the caller cannot know whether it landed, it is never re-sent.
UNKNOWN_AND_NOT_SENT = {
    ("comments/create", "503"),
    ("comments/create", "reset"),
    ("comments/create", "crash_before"),
    ("set-tag:commenting", "crash_after"),
}


def run_case(name: str, test_result: dict, path: str, fault: str, proxy, monkeypatch) -> dict:
    crash_armed: list[list[bool]] = []
    injected: list[int] = []

    def arm() -> None:
        crash_armed.append(inject(proxy, monkeypatch, fault, path))
        injected.append(proxy.pending_faults())

    if path == "transition-requests/create":
        result = file_request_and_decide(name, test_result, arm_request=arm)
    else:
        result = file_request_and_decide(name, test_result, arm=arm)
    # The fault happened (a comments/create fault injected twice fires once: that call is never re-sent).
    assert crash_armed == [[False]] and (injected == [0] or proxy.pending_faults() < injected[0])
    return result


def check_single_decision(workspace, name: str, result: dict, decision: str, path: str, fault: str) -> None:
    hook = direct()
    assert result["decision"] == decision
    assert hook.list_transition_requests(name, "2") == [], "the request is closed"
    if decision == "approved":
        assert hook.get_model_version(name, "2").current_stage == "Staging"
        assert hook.get_model_version(name, "1").current_stage == "Archived"
    else:
        assert hook.get_model_version(name, "2").current_stage == "None", "no unvetted promotion"
        assert hook.get_model_version(name, "1").current_stage == "Staging"
    [(kind, activity)] = decisions(workspace, name, "2")
    assert kind == ("APPROVED_REQUEST" if decision == "approved" else "REJECTED_REQUEST")
    assert result["decision_id"] in activity, "the activity names the decision, so the comment can be matched"
    posted = comments(workspace, name, "2")
    if (path, fault) in UNKNOWN_AND_NOT_SENT:
        assert posted == [] and result["comment_confirmed"] is False
    else:
        assert len(posted) == 1, posted
        assert result["decision_id"] in posted[0] and f"Airflow decision: {decision.upper()}" in posted[0]


@pytest.mark.parametrize("path, fault", APPROVE_PATH)
def test_approve_path_ends_with_one_decision_and_one_comment(
    path, fault, champion_and_candidate, faulty, workspace, monkeypatch
):
    result = run_case(champion_and_candidate, PASSED, path, fault, faulty, monkeypatch)
    check_single_decision(workspace, champion_and_candidate, result, "approved", path, fault)


@pytest.mark.parametrize("path, fault", REJECT_PATH)
def test_reject_path_ends_with_one_decision_and_one_comment(
    path, fault, champion_and_candidate, faulty, workspace, monkeypatch
):
    result = run_case(champion_and_candidate, FAILED, path, fault, faulty, monkeypatch)
    check_single_decision(workspace, champion_and_candidate, result, "rejected", path, fault)


def test_lost_approve_answer_is_resolved_by_looking_not_by_a_retry_that_gets_404(
    champion_and_candidate, faulty, workspace
):
    """Defect 1: the approve landed, its answer was lost; the comment must still be posted, once."""
    name = champion_and_candidate
    result = file_request_and_decide(
        name, PASSED, arm=lambda: faulty.inject_lost_response(1, "transition-requests/approve")
    )
    assert result["decision"] == "approved" and result["comment_confirmed"] is True
    assert faulty.total("transition-requests/approve") == 1
    [comment] = comments(workspace, name, "2")
    assert comment.startswith("### Airflow decision: APPROVED")


def test_lost_reject_answer_still_ends_in_one_comment(champion_and_candidate, faulty, workspace):
    """Defect 1, reject side: a lost reject answer must not turn into a skip without comment."""
    name = champion_and_candidate
    result = file_request_and_decide(
        name, FAILED, arm=lambda: faulty.inject_lost_response(1, "transition-requests/reject")
    )
    assert result["decision"] == "rejected"
    [comment] = comments(workspace, name, "2")
    assert comment.startswith("### Airflow decision: REJECTED")


def test_lost_comment_answers_and_task_retries_never_duplicate_the_comment(champion_and_candidate, faulty, workspace):
    """Defect 2: three lost comments/create answers plus task retries used to leave 4 identical comments."""
    name = champion_and_candidate
    result = file_request_and_decide(name, PASSED, arm=lambda: faulty.inject_lost_response(3, "comments/create"))
    assert result["decision"] == "approved"
    assert len(comments(workspace, name, "2")) == 1
    assert faulty.total("comments/create") == 1


def test_passed_true_with_a_failed_check_is_never_approved(champion_and_candidate, faulty, workspace):
    """Defect 4: `passed` alone is not trusted."""
    name = champion_and_candidate
    inconsistent = {"passed": True, "checks": [{"name": "holdout_quality", "passed": False}]}
    result = file_request_and_decide(name, inconsistent)
    assert result["decision"] == "rejected"
    assert direct().get_model_version(name, "2").current_stage == "None"
    [comment] = comments(workspace, name, "2")
    assert "all tests passed" not in comment and "holdout_quality" in comment


def test_dry_run_failure_approved_by_a_person_says_so_without_contradiction(champion_and_candidate, faulty, workspace):
    """Issue 8: the header must not say "all tests passed" above a body listing a failure."""
    name = champion_and_candidate
    dry = {**FAILED, "passed": True, "report_markdown": "**FAILED (dry run: failures reported, not enforced)**"}
    result = file_request_and_decide(name, dry, approval={"approved": True, "approver": "ana"}, mode="dry_run")
    assert result["decision"] == "approved"
    [comment] = comments(workspace, name, "2")
    header = comment.splitlines()[0]
    assert "despite failed checks" in header and "all" not in header
    assert "holdout_quality" in comment and "not enforced" in comment and "ana" in comment
    assert "all tests passed" not in comment and "checks passed" not in comment
