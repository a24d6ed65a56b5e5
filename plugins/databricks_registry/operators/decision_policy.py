"""What the decision operator decides and writes, kept free of I/O so every rule is easy to test.

* Approve only when the test result is a dict with `passed` exactly `True` and, if an approval step ran, it said
  approve. Anything else (missing result, failed checks, a "reject" or unreadable approval) rejects.
* The comment is a decision header followed by the test notebook's `report_markdown`.
* A tag on the version records which DAG run decided which request, and how far it got, so a retried or re-run
  task neither acts twice nor posts the comment twice (the public API has no call that lists comments).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from databricks_registry.entities import TransitionRequestEvent

APPROVED, REJECTED, SKIPPED = "approved", "rejected", "skipped"
MARKER_TAG_PREFIX = "airflow.decision."
PHASE_ACTING, PHASE_ACTED, PHASE_COMMENTED, PHASE_FAILED = "acting", "acted", "commented", "failed"


@dataclass(frozen=True)
class Outcome:
    approve: bool
    reason: str


def _approval_says_approve(approval: Any) -> tuple[bool, str]:
    if isinstance(approval, bool):
        return approval, "approval step: " + ("approved" if approval else "rejected")
    if isinstance(approval, str):
        verdict = approval.strip().lower()
        return verdict in ("approve", "approved"), f"approval step said {approval!r}"
    if isinstance(approval, dict):
        for key in ("decision", "action", "verdict", "approved"):
            if key in approval:
                ok, _ = _approval_says_approve(approval[key])
                who = approval.get("approver") or approval.get("user") or "approval step"
                note = f": {approval['comment']}" if approval.get("comment") else ""
                return ok, f"{who} said {approval[key]!r}{note}"
    return False, f"approval step gave no decision I can read ({approval!r})"


def decide(test_result: Any, approval: Any = None) -> Outcome:
    if not isinstance(test_result, dict) or not test_result:
        return Outcome(False, "no test result was provided, so the version cannot be approved")
    if test_result.get("passed") is not True:
        failed = [c.get("name", "?") for c in test_result.get("checks") or () if isinstance(c, dict)
                  and c.get("passed") is not True]
        detail = f"failed checks: {', '.join(failed)}" if failed else f"passed={test_result.get('passed')!r}"
        return Outcome(False, f"the candidate did not pass its tests ({detail})")
    if approval is not None:
        ok, why = _approval_says_approve(approval)
        if not ok:
            return Outcome(False, f"tests passed but approval was not given ({why})")
        return Outcome(True, f"all tests passed and {why}")
    return Outcome(True, "all tests passed")


def comment_text(outcome: Outcome, request: TransitionRequestEvent, test_result: Any, run_label: str) -> str:
    verdict = "APPROVED" if outcome.approve else "REJECTED"
    lines = [
        f"### Airflow decision: {verdict} transition to {request.to_stage}",
        "",
        f"Version {request.version} of `{request.model_name}` — {outcome.reason}.",
    ]
    if isinstance(test_result, dict):
        if test_result.get("champion_version") is not None:
            lines.append(f"Compared with champion version {test_result['champion_version']}.")
        if test_result.get("evaluation_run_id"):
            lines.append(f"Evaluation run: `{test_result['evaluation_run_id']}`.")
    lines.append(f"_Decided by {run_label}._")
    report = test_result.get("report_markdown") if isinstance(test_result, dict) else None
    if report:
        lines += ["", str(report)]
    return "\n".join(lines)


@dataclass(frozen=True)
class DecisionMarker:
    """Stored as JSON in tag `airflow.decision.<stage>` on the version."""

    run: str
    request_key: str
    decision: str
    phase: str
    reason: str = ""
    comment_id: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> DecisionMarker | None:
        try:
            data = json.loads(text or "")
            return cls(**{k: data.get(k) for k in ("run", "request_key", "decision", "phase", "reason",
                                                   "comment_id")})
        except (ValueError, TypeError):
            return None


def request_key(request: TransitionRequestEvent) -> str:
    return f"{request.to_stage}|{request.requester or ''}|{request.creation_timestamp or ''}"
