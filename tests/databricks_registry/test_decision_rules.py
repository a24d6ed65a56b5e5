"""The decision rules and the step planner are pure functions: table tests, no workspace needed."""

from __future__ import annotations

import re

import pytest

from databricks_registry.entities import TransitionRequestEvent
from databricks_registry.operators.decision_plan import (
    MAX_TAG_VALUE_BYTES,
    PHASE_ACTED,
    PHASE_ACTING,
    PHASE_COMMENT_UNCONFIRMED,
    PHASE_COMMENTED,
    PHASE_COMMENTING,
    PHASE_FAILED,
    DecisionMarker,
    Step,
    marker_tag_key,
    own_marker,
    plan,
    request_key,
)
from databricks_registry.operators.decision_policy import activity_text, comment_text, decide

OK = {"name": "input_schema", "passed": True}
BAD = {"name": "holdout_quality", "passed": False}
PERSON = {"approved": True, "approver": "ana"}
NO = {"approved": False, "approver": "ana"}
REQUEST = TransitionRequestEvent("churn", "2", "Staging", "None", "bob", "ready", 1000)


@pytest.mark.parametrize(
    "result, approval, mode, approve, says",
    [
        # passed and every check passed
        ({"passed": True, "checks": [OK, OK]}, None, "enforce", True, "all 2 checks passed"),
        ({"passed": True, "checks": [OK]}, PERSON, "enforce", True, "the only check passed and ana approved"),
        ({"passed": True, "checks": [OK]}, NO, "enforce", False, "approval was not given"),
        ({"passed": True, "checks": [OK]}, "reject", "dry_run", False, "approval was not given"),
        ({"passed": True, "checks": [OK]}, {"something": "else"}, "enforce", False, "no decision I can read"),
        # defect 4: `passed` alone is not trusted
        ({"passed": True, "checks": [BAD]}, None, "enforce", False, "enforced checks failed (holdout_quality)"),
        ({"passed": True, "checks": [OK, BAD]}, PERSON, "enforce", False, "enforced checks failed"),
        # dry run: failed checks were not enforced; only a person may approve them
        ({"passed": True, "checks": [OK, BAD]}, None, "dry_run", False, "no person approved it"),
        ({"passed": True, "checks": [OK, BAD]}, NO, "dry_run", False, "approval was not given"),
        (
            {"passed": True, "checks": [OK, BAD]},
            PERSON,
            "dry_run",
            True,
            "1 of 2 checks failed and were not enforced (dry run: holdout_quality); ana approved anyway",
        ),
        # failed
        (
            {"passed": False, "checks": [OK, BAD]},
            PERSON,
            "dry_run",
            False,
            "did not pass its tests (failed checks: holdout_quality)",
        ),
        ({"passed": False, "checks": [OK]}, None, "enforce", False, "passed=false although every check passed"),
        # unreadable or self-contradictory
        (None, PERSON, "enforce", False, "no test result"),
        ({}, None, "enforce", False, "no test result"),
        ({"passed": "true", "checks": [OK]}, None, "enforce", False, "unreadable"),
        ({"passed": True}, None, "enforce", False, "no readable checks"),
        ({"passed": True, "checks": []}, None, "enforce", False, "no readable checks"),
        ({"passed": True, "checks": [{"name": "x", "passed": "yes"}]}, None, "enforce", False, "no readable checks"),
        ({"passed": True, "checks": [OK], "failed_checks": ["input_schema"]}, None, "enforce", False, "contradicts"),
        ({"passed": True, "checks": [OK], "failed_checks": []}, None, "enforce", True, "the only check passed"),
    ],
)
def test_decision_table(result, approval, mode, approve, says):
    outcome = decide(result, approval, mode)
    assert outcome.approve is approve
    assert says in outcome.reason


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        decide({"passed": True, "checks": [OK]}, None, "yolo")


@pytest.mark.parametrize(
    "result, approval, mode",
    [
        ({"passed": True, "checks": [OK, BAD], "report_markdown": "**FAILED** holdout_quality"}, PERSON, "dry_run"),
        ({"passed": True, "checks": [BAD]}, None, "enforce"),
        ({"passed": False, "checks": [OK, BAD]}, None, "enforce"),
        ({"passed": True, "checks": [OK, BAD]}, None, "dry_run"),
    ],
)
def test_a_comment_with_a_failed_check_never_claims_everything_passed(result, approval, mode):
    """Issue 8: header and body never contradict each other."""
    outcome = decide(result, approval, mode)
    text = comment_text(outcome, REQUEST, result, "Airflow DAG d run r task t", "abc")
    assert "all tests passed" not in text and "checks passed" not in text and "all" not in text.splitlines()[0]
    assert "holdout_quality" in text
    if outcome.approve:
        assert "despite failed checks" in text.splitlines()[0] and "Failed and not enforced: holdout_quality" in text
        assert "ana" in text
    else:
        assert text.startswith("### Airflow decision: REJECTED")


def test_comment_and_activity_carry_the_decision_id():
    outcome = decide({"passed": True, "checks": [OK]})
    assert "decision id `abc123`" in comment_text(outcome, REQUEST, {}, "run label", "abc123")
    assert "decision id abc123" in activity_text(outcome, REQUEST, "run label", "abc123")


def marker(phase: str, decision: str = "approved") -> DecisionMarker:
    return DecisionMarker("run", request_key(REQUEST), decision, phase, "why", "id1")


@pytest.mark.parametrize(
    "mark, is_open, stage, step",
    [
        (None, True, "None", Step.ACT),
        (None, False, "Staging", Step.SKIP),  # someone else approved it already
        (None, False, "None", Step.CONFLICT),  # cancelled or rejected by someone else
        (marker(PHASE_FAILED), True, "None", Step.ACT),
        (marker(PHASE_FAILED), False, "Staging", Step.SKIP),
        # an approve whose answer was lost or whose worker died: the registry says whether it landed
        (marker(PHASE_ACTING), True, "None", Step.ACT),
        (marker(PHASE_ACTING), False, "Staging", Step.COMMENT),
        (marker(PHASE_ACTING), False, "None", Step.CONFLICT),
        (marker(PHASE_ACTING, "rejected"), True, "None", Step.ACT),
        (marker(PHASE_ACTING, "rejected"), False, "None", Step.COMMENT),
        (marker(PHASE_ACTING, "rejected"), False, "Staging", Step.CONFLICT),
        (marker(PHASE_ACTED), False, "Staging", Step.COMMENT),
        (marker(PHASE_ACTED, "rejected"), False, "None", Step.COMMENT),
        # once a comment may have been sent, it is never sent again
        (marker(PHASE_COMMENTING), False, "Staging", Step.DONE),
        (marker(PHASE_COMMENT_UNCONFIRMED), False, "Staging", Step.DONE),
        (marker(PHASE_COMMENTED), False, "Staging", Step.DONE),
        (marker(PHASE_COMMENTED), True, "None", Step.DONE),
    ],
)
def test_plan_table(mark, is_open, stage, step):
    assert plan(mark, is_open, stage, "Staging").step is step


def test_markers_of_other_runs_or_requests_are_not_ours():
    mine = marker(PHASE_ACTED)
    assert own_marker(mine.to_json(), "run", REQUEST) == mine
    assert own_marker(mine.to_json(), "another run", REQUEST) is None
    other = TransitionRequestEvent("churn", "2", "Staging", "None", "bob", "ready", 2000)
    assert own_marker(mine.to_json(), "run", other) is None
    assert own_marker("not json", "run", REQUEST) is None and own_marker(None, "run", REQUEST) is None


LONG_ID = "x" * 250  # Airflow allows 250-character DAG, task and run ids
LONG_RUN = f"Airflow DAG {LONG_ID} run {LONG_ID} task {LONG_ID}[12]"


@pytest.mark.parametrize("reason", ["r" * 20_000, "é" * 20_000, "\U0001f600" * 20_000, '"\n' * 20_000])
def test_marker_fits_the_databricks_tag_value_limit_whatever_the_reason(reason):
    marker = DecisionMarker(LONG_RUN, f"Staging|{LONG_ID}|1", "rejected", PHASE_ACTING, reason, "d" * 16, "c" * 32)
    text = marker.to_json()
    assert len(text.encode()) < MAX_TAG_VALUE_BYTES
    restored = DecisionMarker.from_json(text)
    assert restored.run == LONG_RUN and restored.decision_id == "d" * 16 and restored.reason.startswith(reason[:10])
    short = DecisionMarker("run", "k", "approved", PHASE_ACTING, "all checks passed")
    assert DecisionMarker.from_json(short.to_json()).reason == "all checks passed", "short reasons stay whole"


def test_progress_tag_keys_are_per_run_and_instance_and_valid_for_databricks():
    valid = re.compile(r"^[A-Za-z0-9_.\-/ ]+$")
    decision_keys = {marker_tag_key("Staging", run) for run in (LONG_RUN, LONG_RUN[:-4] + "[13]", "run a", "run b")}
    assert len(decision_keys) == 4
    for key in decision_keys:
        assert len(key.encode()) <= 250 and valid.match(key), key
    assert marker_tag_key("Staging", "run a").startswith("airflow.decision.Staging.")
