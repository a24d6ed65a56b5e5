"""The decision rules and the step planner are pure functions: table tests, no workspace needed."""

from __future__ import annotations

import re

import pytest

from databricks_registry.entities import TransitionRequestEvent
from databricks_registry.errors import (
    RegistryOutcomeUnknown,
    RegistryPermissionDenied,
    RegistryResourceConflict,
    RegistryResourceNotFound,
    RegistryResponseError,
    RegistryUnavailable,
)
from databricks_registry.operators.decision_plan import (
    MAX_TAG_VALUE_BYTES,
    PHASE_ACTED,
    PHASE_ACTING,
    PHASE_COMMENT_UNCONFIRMED,
    PHASE_COMMENTED,
    PHASE_COMMENTING,
    PHASE_FAILED,
    Answer,
    DecisionMarker,
    Next,
    Plan,
    Step,
    acting_marker,
    after_act,
    after_comment,
    answer_of,
    explained,
    marker_tag_key,
    own_marker,
    plan,
    request_key,
)
from databricks_registry.operators.decision_policy import Outcome, activity_text, comment_text, decide

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


@pytest.mark.parametrize(
    "phase, mark",
    [(PHASE_COMMENTING, PHASE_COMMENT_UNCONFIRMED), (PHASE_COMMENT_UNCONFIRMED, None), (PHASE_COMMENTED, None)],
)
def test_a_try_that_died_while_commenting_is_recorded_as_unconfirmed(phase, mark):
    done = plan(marker(phase), False, "Staging", "Staging")
    assert (done.step, done.mark, done.stage) == (Step.DONE, mark, "Staging")


def looked(step: Step) -> Plan:
    return Plan(step, "what the registry shows")


@pytest.mark.parametrize(
    "answer, after_looking, expected",
    [
        (Answer.OK, None, Next(PHASE_ACTED, Step.COMMENT)),  # also a 2xx with an unreadable body
        (Answer.REFUSED, None, Next(PHASE_FAILED, reraise=True)),  # certainly not applied
        (Answer.UNKNOWN, None, Next(look=True)),
        (Answer.GONE, None, Next(look=True)),
        # a lost answer: still open means not applied (the retry acts); otherwise follow the registry
        (Answer.UNKNOWN, looked(Step.ACT), Next(reraise=True)),
        (Answer.UNKNOWN, looked(Step.COMMENT), Next(step=Step.COMMENT)),
        (Answer.UNKNOWN, looked(Step.CONFLICT), Next(step=Step.CONFLICT)),
        (Answer.UNKNOWN, looked(Step.SKIP), Next(step=Step.SKIP)),
        # 404/409: an earlier try's late write landed, or someone else closed the request
        (Answer.GONE, looked(Step.COMMENT), Next(step=Step.COMMENT)),
        (Answer.GONE, looked(Step.SKIP), Next(PHASE_FAILED, Step.SKIP)),
        (Answer.GONE, looked(Step.CONFLICT), Next(PHASE_FAILED, Step.CONFLICT)),
        (Answer.GONE, looked(Step.ACT), Next(PHASE_FAILED, reraise=True)),
    ],
)
def test_after_act_table(answer, after_looking, expected):
    assert after_act(answer, after_looking) == expected


@pytest.mark.parametrize(
    "answer, expected",
    [
        (Answer.OK, Next(PHASE_COMMENTED)),
        (Answer.UNKNOWN, Next(PHASE_COMMENT_UNCONFIRMED)),  # never re-sent: at most one comment
        (Answer.GONE, Next(PHASE_ACTED, reraise=True)),  # refused: the task retry posts it
        (Answer.REFUSED, Next(PHASE_ACTED, reraise=True)),
    ],
)
def test_after_comment_table(answer, expected):
    assert after_comment(answer) == expected


@pytest.mark.parametrize(
    "error, answer",
    [
        (None, Answer.OK),
        (RegistryResponseError("<html>"), Answer.OK),
        (RegistryOutcomeUnknown("reset"), Answer.UNKNOWN),
        (RegistryResourceNotFound("no request"), Answer.GONE),
        (RegistryResourceConflict("closed"), Answer.GONE),
        (RegistryUnavailable("429"), Answer.REFUSED),
        (RegistryPermissionDenied("no"), Answer.REFUSED),
    ],
)
def test_answer_of_table(error, answer):
    assert answer_of(error) is answer


def test_acting_marker_keeps_the_decision_id_of_an_earlier_try_of_the_same_decision():
    approve, reject = decide({"passed": True, "checks": [OK]}), decide({"passed": False, "checks": [BAD]})
    earlier = marker(PHASE_ACTING)  # approved, decision id "id1"
    assert acting_marker(earlier, approve, "run", REQUEST, "new").decision_id == "id1"
    assert acting_marker(earlier, reject, "run", REQUEST, "new").decision_id == "new"
    assert acting_marker(None, approve, "run", REQUEST, "new") == DecisionMarker(
        "run", request_key(REQUEST), "approved", PHASE_ACTING, approve.reason, "new"
    )


def test_the_comment_explains_the_decision_that_was_applied():
    reject = decide({"passed": False, "checks": [BAD]})
    assert explained(reject, marker(PHASE_ACTED, "rejected")) is reject
    assert explained(reject, marker(PHASE_ACTED, "approved")) == Outcome(True, "why")


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
