"""The UC decision plan is pure: table tests of which tags, description and alias writes each situation gives."""

from __future__ import annotations

import pytest

from databricks_registry.unity_catalog.decision_plan import (
    PROMOTION_MARKER_TAG,
    Approval,
    Kind,
    NotValidated,
    PromotionMarker,
    Verdict,
    VersionState,
    Write,
    approval_from_argument,
    approval_from_tag,
    check_tag_key,
    plan_promotion,
    plan_validation,
)
from databricks_registry.unity_catalog.description import (
    APPROVAL_HEADING,
    MAX_DESCRIPTION_CHARS,
    VALIDATION_HEADING,
    with_section,
)

OK = {"name": "input_schema", "passed": True, "measured": 1, "threshold": 1}
BAD = {"name": "holdout_quality", "passed": False, "measured": 0.5, "threshold": 0.7}
GOOD_RESULT = {"passed": True, "checks": [OK], "report_markdown": "## Report\nall good", "champion_version": "1"}
BAD_RESULT = {
    "passed": False,
    "checks": [OK, BAD],
    "report_markdown": "## Report\nbad",
    "failed_checks": ["holdout_quality"],
}
PENDING = VersionState("3", {"validation_status": "PENDING"}, (), "Trained on 100 rows.")


def _kinds(writes: tuple[Write, ...]) -> list[tuple[str, str, str]]:
    return [(w.kind.value, w.version, w.key if w.kind is not Kind.DESCRIPTION else "") for w in writes]


def _apply(state: VersionState, writes: tuple[Write, ...]) -> VersionState:
    tags, aliases, description = dict(state.tags), list(state.aliases), state.description
    for w in writes:
        if w.version != state.version:
            continue
        if w.kind is Kind.TAG:
            tags[w.key] = w.value
        elif w.kind is Kind.ALIAS:
            aliases.append(w.key)
        else:
            description = w.value
    return VersionState(state.version, tags, tuple(aliases), description)


def test_passed_tags_checks_describes_sets_challenger_and_status_last():
    decision = plan_validation(PENDING, None, GOOD_RESULT, test_run_url="http://ws/run/9", run_label="run 1")
    assert decision.verdict is Verdict.PASSED
    assert _kinds(decision.writes) == [
        ("tag", "3", "check.input_schema"),
        ("description", "3", ""),
        ("alias", "3", "challenger"),
        ("tag", "3", "validation_status"),
    ]
    assert decision.writes[-1].value == "PASSED"
    description = decision.writes[1].value
    assert description.startswith("Trained on 100 rows.\n\n" + VALIDATION_HEADING)  # the notebook's text stays
    assert "http://ws/run/9" in description and "## Report\nall good" in description
    assert "Compared with champion version 1" in description


def test_failed_tags_every_check_and_touches_no_alias():
    decision = plan_validation(PENDING, "2", BAD_RESULT)
    assert decision.verdict is Verdict.FAILED
    assert [(w.key, w.value) for w in decision.writes if w.kind is Kind.TAG] == [
        ("check.input_schema", "PASSED"),
        ("check.holdout_quality", "FAILED"),
        ("validation_status", "FAILED"),
    ]
    assert not [w for w in decision.writes if w.kind is Kind.ALIAS]
    assert decision.extra["failed_checks"] == ["holdout_quality"]


@pytest.mark.parametrize(
    "result, mode, says",
    [
        (None, None, "no test result"),
        ({"passed": True, "checks": []}, None, "no readable checks"),
        ({"passed": True, "checks": [BAD]}, None, "enforced checks failed"),
        ({"passed": False, "checks": [BAD], "mode": "dry_run"}, None, "did not pass its tests"),
        ({"passed": True, "checks": [OK], "failed_checks": ["x"]}, None, "contradicts itself"),
    ],
)
def test_unreadable_or_failed_results_never_pass(result, mode, says):
    decision = plan_validation(PENDING, None, result, mode=mode)
    assert decision.verdict is Verdict.FAILED and says in decision.reason
    assert not [w for w in decision.writes if w.kind is Kind.ALIAS]


@pytest.mark.parametrize("status", ["PASSED", "FAILED"])
def test_a_terminal_status_is_never_re_decided(status):
    state = VersionState("3", {"validation_status": status})
    decision = plan_validation(state, None, BAD_RESULT if status == "PASSED" else GOOD_RESULT)
    assert decision.verdict is Verdict.ALREADY_DECIDED and decision.writes == ()
    assert status in decision.reason


def test_a_retry_after_a_partial_record_only_writes_what_is_missing():
    first = plan_validation(PENDING, None, GOOD_RESULT, run_label="run 1")
    half_done = _apply(PENDING, first.writes[:3])  # died before the status tag
    retry = plan_validation(half_done, "3", GOOD_RESULT, run_label="run 1")
    assert _kinds(retry.writes) == [("tag", "3", "validation_status")]
    assert plan_validation(_apply(half_done, retry.writes), "3", GOOD_RESULT).writes == ()


def test_challenger_never_moves_back_to_an_older_version():
    decision = plan_validation(PENDING, "5", GOOD_RESULT)
    assert not [w for w in decision.writes if w.kind is Kind.ALIAS]
    assert "stays on the newer version 5" in decision.reason
    assert decision.writes[-1].value == "PASSED"


def test_a_long_report_is_truncated_and_says_so():
    result = {**GOOD_RESULT, "report_markdown": "x" * (MAX_DESCRIPTION_CHARS * 2)}
    decision = plan_validation(PENDING, None, result, test_run_url="http://ws/run/9")
    description = next(w.value for w in decision.writes if w.kind is Kind.DESCRIPTION)
    assert decision.truncated and len(description) <= MAX_DESCRIPTION_CHARS
    assert "report truncated" in description and "http://ws/run/9" in description


def test_sections_replace_themselves_and_keep_other_text():
    once = with_section("intro", VALIDATION_HEADING, "a")
    twice = with_section(once, VALIDATION_HEADING, "b")
    assert twice == f"intro\n\n{VALIDATION_HEADING}\n\nb"
    both = with_section(twice, APPROVAL_HEADING, "yes")
    assert (
        with_section(both, VALIDATION_HEADING, "c")
        == f"intro\n\n{VALIDATION_HEADING}\n\nc\n\n{APPROVAL_HEADING}\n\nyes"
    )


def test_check_tag_keys_keep_to_safe_characters():
    assert check_tag_key("check.", "auc vs champion!") == "check.auc_vs_champion_"


# ---- promotion ----------------------------------------------------------------------------------------------------
VALIDATED = VersionState("3", {"validation_status": "PASSED"}, ("challenger",), "d")
CHAMPION_2 = VersionState("2", {"validation_status": "PASSED"}, ("champion",), "")
YES = Approval(True, "ana approved")
NOW = "2026-12-03T12:00:00Z"


def test_approved_moves_champion_and_tags_the_previous_one_after_the_move():
    decision = plan_promotion(VALIDATED, CHAMPION_2, YES, now=NOW, run_label="run 1")
    assert decision.verdict is Verdict.PROMOTED
    assert _kinds(decision.writes) == [
        ("tag", "3", "approval"),
        ("tag", "3", PROMOTION_MARKER_TAG),
        ("description", "3", ""),
        ("alias", "3", "champion"),
        ("tag", "2", "champion_replaced_at"),
        ("tag", "2", "champion_replaced_by"),
    ]
    assert [w.value for w in decision.writes[-2:]] == [NOW, "3"]
    assert PromotionMarker.from_json(decision.writes[1].value) == PromotionMarker("2", NOW, "run 1")
    assert decision.extra["previous_champion"] == "2"


def test_the_first_champion_replaces_nobody():
    decision = plan_promotion(VALIDATED, None, YES, now=NOW)
    assert _kinds(decision.writes)[-1] == ("alias", "3", "champion")
    assert "the first champion" in decision.writes[2].value


@pytest.mark.parametrize("status", [None, "PENDING", "FAILED"])
def test_promotion_is_refused_unless_validation_passed(status):
    state = VersionState("3", {} if status is None else {"validation_status": status})
    with pytest.raises(NotValidated, match="never promoted without passing its tests"):
        plan_promotion(state, CHAMPION_2, YES, now=NOW)


def test_rejected_records_the_reason_and_moves_nothing():
    decision = plan_promotion(VALIDATED, CHAMPION_2, Approval(False, "ana did not approve (too slow)"), now=NOW)
    assert decision.verdict is Verdict.REJECTED
    assert _kinds(decision.writes) == [("tag", "3", "approval"), ("description", "3", "")]
    assert decision.writes[0].value == "Rejected" and "too slow" in decision.writes[1].value
    rerun = plan_promotion(_apply(VALIDATED, decision.writes), CHAMPION_2, Approval(False, "x"), now="later")
    assert rerun.verdict is Verdict.REJECTED and rerun.writes == ()


def test_a_retry_after_the_move_only_finishes_the_previous_champions_trail():
    first = plan_promotion(VALIDATED, CHAMPION_2, YES, now=NOW, run_label="run 1")
    moved = _apply(VALIDATED, first.writes)  # the alias moved, the answer was lost, the old champion is untagged
    old = VersionState("2", {"validation_status": "PASSED"})
    retry = plan_promotion(moved, old, YES, now="later", run_label="run 1")
    assert retry.verdict is Verdict.ALREADY_CHAMPION
    assert [(w.version, w.key, w.value) for w in retry.writes] == [
        ("2", "champion_replaced_at", NOW),
        ("2", "champion_replaced_by", "3"),
    ]
    done = VersionState("2", {"champion_replaced_at": NOW, "champion_replaced_by": "3"})
    assert plan_promotion(moved, done, YES, now="later").writes == ()


def test_a_retry_before_the_move_keeps_the_first_tries_time():
    first = plan_promotion(VALIDATED, CHAMPION_2, YES, now=NOW)
    marked = _apply(VALIDATED, first.writes[:3])
    retry = plan_promotion(marked, CHAMPION_2, YES, now="later")
    assert _kinds(retry.writes) == [
        ("alias", "3", "champion"),
        ("tag", "2", "champion_replaced_at"),
        ("tag", "2", "champion_replaced_by"),
    ]
    assert retry.writes[1].value == NOW


def test_a_late_decision_never_moves_champion_back():
    newer = VersionState("7", {"validation_status": "PASSED"}, ("champion",))
    decision = plan_promotion(VALIDATED, newer, YES, now=NOW)
    assert decision.verdict is Verdict.SUPERSEDED and decision.writes == ()
    assert "newer version 7" in decision.reason


def test_one_decision_per_version():
    rejected = VersionState("3", {"validation_status": "PASSED", "approval": "Rejected"})
    decision = plan_promotion(rejected, CHAMPION_2, YES, now=NOW)
    assert decision.verdict is Verdict.CONFLICT and decision.writes == ()


@pytest.mark.parametrize(
    "value, approved",
    [("Approved", True), (" approved ", True), ("Rejected", False), ("REJECTED", False)],
)
def test_approval_tag_values(value, approved):
    assert approval_from_tag(value)[0] is approved


@pytest.mark.parametrize("value", [None, "", "maybe"])
def test_an_unreadable_approval_tag_is_an_error(value):
    with pytest.raises(ValueError, match="expected 'Approved' or 'Rejected'"):
        approval_from_tag(value)


@pytest.mark.parametrize(
    "approval, approved, says",
    [
        (None, True, "no human approval was required"),
        ({"approved": True, "approver": "ana"}, True, "ana approved"),
        ({"approved": False, "approver": "ana"}, False, "ana did not approve"),
        ({"approved": True, "by": "bo", "source": "uc_tag"}, True, "bo approved"),  # ApprovalTagSensor's event
    ],
)
def test_approval_argument(approval, approved, says):
    assert approval_from_argument(approval)[:2] == (approved, says)


def test_a_persons_own_spelling_of_the_approval_tag_is_kept():
    state = VersionState("3", {"validation_status": "PASSED", "approval": "rejected"})
    decision = plan_promotion(state, CHAMPION_2, approval_from_tag("rejected"), now=NOW)
    assert decision.verdict is Verdict.REJECTED
    assert _kinds(decision.writes) == [("description", "3", "")]


DRY_RUN = {"passed": True, "checks": [OK, BAD], "mode": "dry_run", "failed_checks": ["holdout_quality"]}


def test_a_dry_run_with_failed_checks_passes_but_only_a_person_may_promote_it():
    decision = plan_validation(PENDING, None, DRY_RUN)
    assert decision.verdict is Verdict.PASSED and "not enforced" in decision.reason
    validated = _apply(PENDING, decision.writes)
    assert validated.tags["check.holdout_quality"] == "FAILED" and validated.tags["validation_status"] == "PASSED"
    automatic = plan_promotion(validated, CHAMPION_2, approval_from_argument(None), now=NOW)
    assert automatic.verdict is Verdict.REJECTED and "only ever approved by a person" in automatic.reason
    person = plan_promotion(
        validated, CHAMPION_2, approval_from_argument({"approved": True, "approver": "ana"}), now=NOW
    )
    assert person.verdict is Verdict.PROMOTED and "despite failed checks" in person.reason
    assert plan_validation(PENDING, None, DRY_RUN, mode="enforce").verdict is Verdict.FAILED
