"""The schedules `make airflow` turns off and the decisions the runner/demo print."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from dag_runner import DagRunOutcome, TaskOutcome, decision_lines


def test_time_schedules_can_be_turned_off(monkeypatch):
    from airflow.sdk import Asset, AssetOrTimeSchedule

    from churn_pipeline.schedules import promotion_schedule, retraining_schedule

    asset = Asset(name="a", uri="s3://b/a")
    assert retraining_schedule() == "@monthly"
    assert isinstance(promotion_schedule(asset), AssetOrTimeSchedule)
    monkeypatch.setenv("CHURN_RETRAIN_SCHEDULE", "none")
    monkeypatch.setenv("CHURN_PROMOTION_CRON", "None")
    assert retraining_schedule() is None
    assert promotion_schedule(asset) is asset  # the Asset alone still triggers the promotion


def test_runner_states_each_decision_with_version_verdict_and_reason():
    rejected = {
        "decision": "rejected",
        "version": "2",
        "to_stage": "Staging",
        "reason": "the candidate did not pass its tests (failed checks: champion_comparison)",
    }
    outcome = DagRunOutcome(
        "churn_model_promotion",
        "r",
        "success",
        [
            TaskOutcome("candidate.decide", 0, "success", {"return_value": rejected}),
            TaskOutcome(
                "candidate.decide",
                1,
                "success",
                {
                    "return_value": {
                        "decision": "approved",
                        "version": "3",
                        "to_stage": "Staging",
                        "reason": "all tests passed",
                    }
                },
            ),
        ],
    )
    assert decision_lines(outcome) == [
        "Version 2 -> Staging: REJECTED (the candidate did not pass its tests (failed checks: champion_comparison))",
        "Version 3 -> Staging: APPROVED (all tests passed)",
    ]
    nothing = DagRunOutcome(
        "churn_model_promotion",
        "r",
        "success",
        [TaskOutcome("wait_for_transition_requests", -1, "skipped"), TaskOutcome("candidate.decide", -1, "skipped")],
    )
    assert decision_lines(nothing) == [
        "No pending candidate (transition request or PENDING version) was found: nothing decided."
    ]
    unity_catalog = DagRunOutcome(
        "churn_model_promotion",
        "r",
        "success",
        [
            TaskOutcome("candidate.decide", 0, "skipped"),  # a workspace-registry step, skipped in a UC run
            TaskOutcome(
                "candidate.record_validation",
                0,
                "success",
                {"return_value": {"version": "4", "validation_status": "PASSED"}},
            ),
            TaskOutcome("candidate.promote", 0, "success", {"return_value": {"verdict": "promoted", "version": "4"}}),
        ],
    )
    assert decision_lines(unity_catalog) == ["Version 4: validation_status=PASSED, promotion: promoted"]
