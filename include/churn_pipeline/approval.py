"""Optional human review of a tested candidate (Airflow human-in-the-loop)."""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator


class ReviewOperator(ApprovalOperator):
    """`ApprovalOperator` whose "Reject" is an answer, not a skip.

    The stock operator skips its downstream tasks on "Reject"; here the downstream task is the registry decision,
    which must still run so the request is rejected *in the registry* with a comment (otherwise it would stay
    open and be re-tested on the next run). The answer reaches the decision operator through XCom.
    """

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        answer = HITLOperator.execute_complete(self, context=context, event=event)
        approved = list(answer["chosen_options"]) == [self.APPROVE]
        self.hitl_summary_extra["approved"] = approved
        return review_answer(answer, approved)


def review_answer(answer: Any, approved: bool) -> dict[str, Any]:
    """The HITL answer plus `approved` / `approver`, the keys the registry decision operator reads."""
    user = answer.get("responded_by_user") or {}
    return {
        "approved": approved,
        "approver": user.get("name") or user.get("id") or "reviewer",
        "chosen_options": list(answer["chosen_options"]),
        "responded_at": str(answer.get("responded_at") or ""),
    }
