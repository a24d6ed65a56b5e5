"""Optional human review of a tested candidate (Airflow human-in-the-loop)."""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator

# The answer when no review was asked for: the decision operator reads None as "no approval step ran".
NOT_REQUIRED = None


class ReviewOperator(ApprovalOperator):
    """`ApprovalOperator` that only asks when the run's `required_param` is on, and whose "Reject" is an answer.

    * Not required (the default): stores an explicit null answer at once (no XCom would leave the decision
      task's pull logging "XCom not found"); the decision downstream is then automatic. Deciding
      this inside the task, rather than with a short-circuit before it, keeps one task per candidate and works
      the same in mapped task groups.
    * The stock operator skips its downstream tasks on "Reject"; here the downstream task is the registry
      decision, which must still run so the request is rejected *in the registry* with a comment (otherwise it
      would stay open and be re-tested on every run). The answer reaches the decision operator through XCom.
    """

    def __init__(self, *, required_param: str = "require_human_approval", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.required_param = required_param

    def review_required(self, context: Any) -> bool:
        """Whether this run asks a person: the `required_param` param is on."""
        return is_on(context["params"].get(self.required_param, False))

    def execute(self, context: Any) -> Any:
        if not self.review_required(context):
            self.log.info("No human review asked for (param %s off): the decision is automatic.", self.required_param)
            context["ti"].xcom_push(key="return_value", value=NOT_REQUIRED)
            return None
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        answer = HITLOperator.execute_complete(self, context=context, event=event)
        approved = list(answer["chosen_options"]) == [self.APPROVE]
        self.hitl_summary_extra["approved"] = approved
        return review_answer(answer, approved)


def is_on(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def review_answer(answer: Any, approved: bool) -> dict[str, Any]:
    """The HITL answer plus `approved` / `approver`, the keys the registry decision operator reads."""
    user = answer.get("responded_by_user") or {}
    return {
        "approved": approved,
        "approver": user.get("name") or user.get("id") or "reviewer",
        "chosen_options": list(answer["chosen_options"]),
        "responded_at": str(answer.get("responded_at") or ""),
    }
