"""What the decision operator decides and writes, kept free of I/O so every rule is table-tested.

The test notebook's exit JSON is `{passed, checks: [{name, passed, ...}], metrics, champion_version,
evaluation_run_id, report_markdown}` (plus `failed_checks` when read through `churn_pipeline`). In `enforce` mode
`passed` is true only if every check passed; in `dry_run` mode the notebook reports failures but says `passed: true`.
So `passed` alone is never trusted:

* approve automatically only when `passed` is true AND every listed check passed (and an approval step, if it ran,
  said approve);
* a result that says `passed: true` next to a failed check is a dry-run result: with `mode="enforce"` it rejects (an
  enforced check failed); with `mode="dry_run"` it is approved only by a person's explicit approval, and the
  comment names the failed, not-enforced checks and the approver;
* anything unreadable or self-contradictory (no checks, `passed` not a boolean, `failed_checks` disagreeing with
  `checks`) rejects.

The comment's header, reason and the report body never contradict each other: the reason says "all N checks passed"
only when they did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from databricks_registry.entities import TransitionRequestEvent

APPROVED, REJECTED, SKIPPED = "approved", "rejected", "skipped"
MODES = ("enforce", "dry_run")


@dataclass(frozen=True)
class Outcome:
    approve: bool
    reason: str
    failed_checks: tuple[str, ...] = ()
    not_enforced: bool = False  # approved although `failed_checks` failed (dry run, approved by a person)

    @property
    def decision(self) -> str:
        return APPROVED if self.approve else REJECTED


def read_approval(approval: Any) -> tuple[bool, str]:
    """(says approve?, who said what) for a bool, a string or a dict answer (e.g. `ReviewOperator`'s)."""
    if isinstance(approval, bool):
        return approval, "the approval step " + ("approved" if approval else "rejected")
    if isinstance(approval, str):
        verdict = approval.strip().lower()
        ok = verdict in ("approve", "approved")
        return ok, f"the approval step said {approval!r}"
    if isinstance(approval, dict):
        for key in ("decision", "action", "verdict", "approved"):
            if key in approval:
                ok, _ = read_approval(approval[key])
                who = approval.get("approver") or approval.get("user") or "the approval step"
                note = f" ({approval['comment']})" if approval.get("comment") else ""
                return ok, f"{who} {'approved' if ok else 'did not approve'}{note}"
    return False, f"the approval step gave no decision I can read ({approval!r})"


def _all(n: int) -> str:
    return "the only check" if n == 1 else f"all {n} checks"


def _checks(test_result: dict) -> list[tuple[str, bool]] | None:
    raw = test_result.get("checks")
    if not isinstance(raw, list) or not raw:
        return None
    checks = []
    for check in raw:
        if (
            not isinstance(check, dict)
            or not isinstance(check.get("name"), str)
            or not isinstance(check.get("passed"), bool)
        ):
            return None
        checks.append((check["name"], check["passed"]))
    return checks


def decide(test_result: Any, approval: Any = None, mode: str = "enforce") -> Outcome:
    """The decision for one request; never approves a result that is missing, unreadable or inconsistent."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not isinstance(test_result, dict) or not test_result:
        return Outcome(False, "no test result was provided, so the version cannot be approved")
    passed = test_result.get("passed")
    if not isinstance(passed, bool):
        return Outcome(False, f"the test result is unreadable (passed={passed!r}), so the version cannot be approved")
    checks = _checks(test_result)
    if checks is None:
        return Outcome(
            False,
            "the test result lists no readable checks (each needs a name and a boolean passed), "
            "so the version cannot be approved",
        )
    failed = tuple(name for name, ok in checks if not ok)
    listed = test_result.get("failed_checks")
    if listed is not None and (not isinstance(listed, list) or sorted(map(str, listed)) != sorted(failed)):
        return Outcome(
            False,
            f"the test result contradicts itself (failed_checks={listed!r} but the failing checks "
            f"are {list(failed)}), so the version cannot be approved",
            failed,
        )
    names = ", ".join(failed)
    if not passed:
        detail = f"failed checks: {names}" if failed else "passed=false although every check passed"
        return Outcome(False, f"the candidate did not pass its tests ({detail})", failed)
    approval_ok, who = read_approval(approval) if approval is not None else (None, "")
    if not failed:
        if approval_ok is False:
            return Outcome(False, f"{_all(len(checks))} passed but approval was not given ({who})")
        suffix = f" and {who}" if approval_ok else ""
        return Outcome(True, f"{_all(len(checks))} passed{suffix}")
    if mode == "enforce":
        return Outcome(
            False,
            f"enforced checks failed ({names}) although the result says passed; such a result is never approved",
            failed,
        )
    if approval_ok:
        return Outcome(
            True,
            f"{len(failed)} of {len(checks)} checks failed and were not enforced (dry run: {names}); {who} anyway",
            failed,
            not_enforced=True,
        )
    why = f"approval was not given ({who})" if approval is not None else "no person approved it"
    return Outcome(
        False,
        f"checks failed in a dry run ({names}, not enforced) and {why}; failed checks are only "
        "ever approved by a person",
        failed,
    )


def comment_text(
    outcome: Outcome, request: TransitionRequestEvent, test_result: Any, run_label: str, decision_id: str | None = None
) -> str:
    """The registry comment: header, one-sentence reason, provenance, then the test notebook's report."""
    verdict = "APPROVED" if outcome.approve else "REJECTED"
    if outcome.not_enforced:
        verdict += " despite failed checks (dry run, approved by a person)"
    lines = [
        f"### Airflow decision: {verdict} transition to {request.to_stage}",
        "",
        f"Version {request.version} of `{request.model_name}` — {outcome.reason}.",
    ]
    if outcome.not_enforced:
        lines.append(f"Failed and not enforced: {', '.join(outcome.failed_checks)}.")
    if isinstance(test_result, dict):
        if test_result.get("champion_version") is not None:
            lines.append(f"Compared with champion version {test_result['champion_version']}.")
        if test_result.get("evaluation_run_id"):
            lines.append(f"Evaluation run: `{test_result['evaluation_run_id']}`.")
    tag = f" (decision id `{decision_id}`)" if decision_id else ""
    lines.append(f"_Decided by {run_label}{tag}._")
    report = test_result.get("report_markdown") if isinstance(test_result, dict) else None
    if report:
        lines += ["", str(report)]
    return "\n".join(lines)


def activity_text(outcome: Outcome, request: TransitionRequestEvent, run_label: str, decision_id: str | None) -> str:
    """What the approve/reject call itself carries (the registry keeps it with the decision, atomically): the
    verdict, the reason and the decision id that the full comment repeats."""
    verdict = "APPROVED" if outcome.approve else "REJECTED"
    return (
        f"Airflow decision: {verdict} transition to {request.to_stage} — {outcome.reason}. "
        f"Decided by {run_label} (decision id {decision_id})."
    )
