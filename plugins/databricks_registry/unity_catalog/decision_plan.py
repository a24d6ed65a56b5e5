"""The Unity Catalog decision as pure functions of what the registry shows: which tags, description and alias
writes record a validation or a promotion. `decision.py` only reads, calls these, and carries the writes out.

UC models have no transition requests, comments or stages; the trail lives on the version itself:

* validation: `check.<name>` tags, a `### Airflow validation` section in the description (the report), alias
  `challenger` (passed only), and `validation_status` PASSED/FAILED written **last**: a terminal status means the
  whole record is there, so a later run (or a retry) that sees it changes nothing, and a try that died half-way
  is finished by the retry (every earlier write is idempotent: set-tag, update description, PUT alias).
* promotion: the `approval` tag, a `airflow.promotion` marker tag naming the champion being replaced, a
  `### Airflow approval` section, then the alias `champion` moves (PUT, idempotent), then the previous champion gets
  `champion_replaced_at` / `champion_replaced_by`. A retry that finds the version already champion only finishes
  the previous champion's trail from the marker; an alias is never moved back to an older version.

Every plan is a list of `Write`s already filtered to what differs from what was read, so a re-run plans nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from databricks_registry.operators.decision_policy import Outcome, decide, read_approval
from databricks_registry.unity_catalog.description import (
    APPROVAL_HEADING,
    MAX_DESCRIPTION_CHARS,
    VALIDATION_HEADING,
    fit_report,
    with_section,
)

# The defaults of the project's contract (`churn_contract.unity_catalog`), repeated because the plugin never imports
# project code; the operators take each as an argument.
VALIDATION_STATUS_TAG = "validation_status"
PASSED, FAILED = "PASSED", "FAILED"
CHECK_TAG_PREFIX = "check."
APPROVAL_TAG = "approval"
APPROVED, REJECTED = "Approved", "Rejected"
CHALLENGER_ALIAS = "challenger"
CHAMPION_ALIAS = "champion"
REPLACED_AT_TAG = "champion_replaced_at"
REPLACED_BY_TAG = "champion_replaced_by"
PROMOTION_MARKER_TAG = "airflow.promotion"


@dataclass(frozen=True)
class Names:
    """The tag keys, values and aliases the decision writes (the project's contract by default)."""

    status_tag: str = VALIDATION_STATUS_TAG
    check_prefix: str = CHECK_TAG_PREFIX
    approval_tag: str = APPROVAL_TAG
    challenger: str = CHALLENGER_ALIAS
    champion: str = CHAMPION_ALIAS
    replaced_at_tag: str = REPLACED_AT_TAG
    replaced_by_tag: str = REPLACED_BY_TAG


@dataclass(frozen=True)
class VersionState:
    """What was read of one version: its tags, the aliases pointing at it and its description."""

    version: str
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    description: str = ""


class Kind(StrEnum):
    TAG = "tag"
    DESCRIPTION = "description"
    ALIAS = "alias"


@dataclass(frozen=True)
class Write:
    """One idempotent write: a tag (`key`=`value`) or the description (`value`) of `version`, or alias `key` ->
    `version`."""

    kind: Kind
    version: str
    key: str = ""
    value: str = ""

    def summary(self) -> dict[str, str]:
        if self.kind is Kind.ALIAS:
            return {"alias": self.key, "version": self.version}
        if self.kind is Kind.TAG:
            return {"version": self.version, "key": self.key, "value": self.value}
        return {"version": self.version, "description_chars": str(len(self.value))}


def tag_write(state: VersionState, key: str, value: str) -> list[Write]:
    return [] if state.tags.get(key) == value else [Write(Kind.TAG, state.version, key, value)]


def check_tag_key(prefix: str, name: str) -> str:
    """`check.<name>`, keeping to the characters tag keys accept everywhere (letters, digits, `_ . - /`)."""
    return prefix + re.sub(r"[^A-Za-z0-9_.\-/]", "_", name.strip())


# ---- validation ---------------------------------------------------------------------------------------------------
class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ALREADY_DECIDED = "already_decided"
    PROMOTED = "promoted"
    REJECTED = "rejected"
    ALREADY_CHAMPION = "already_champion"
    SUPERSEDED = "superseded"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str
    writes: tuple[Write, ...] = ()
    truncated: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


def _newer(a: str | None, b: str) -> bool:
    return a is not None and a.isdigit() and b.isdigit() and int(a) > int(b)


def validation_outcome(test_result: Any, mode: str | None) -> Outcome:
    """Passed only if `passed` is true and every listed check passed (the workspace flow's rules, `decide`). A dry
    run whose result is consistent but has failed checks passes with `not_enforced` set: as in the workspace flow,
    only a person may then promote it (`plan_promotion`)."""
    chosen = mode or (test_result.get("mode") if isinstance(test_result, dict) else None) or "enforce"
    outcome = decide(test_result, None, chosen)
    if outcome.approve or chosen != "dry_run" or not decide(test_result, True, chosen).not_enforced:
        return outcome
    failed = ", ".join(outcome.failed_checks)
    why = f"passed in a dry run with failed, not enforced checks ({failed}); only a person may promote it"
    return Outcome(True, why, outcome.failed_checks, not_enforced=True)


def validation_description(
    state: VersionState, outcome: Outcome, test_result: Any, test_run_url: str | None, run_label: str
) -> tuple[str, bool]:
    status = PASSED if outcome.approve else FAILED
    lines = [f"**{status}**: {outcome.reason}.", ""]
    checks = test_result.get("checks") if isinstance(test_result, dict) else None
    for check in checks if isinstance(checks, list) else []:
        if isinstance(check, dict) and "name" in check:
            mark = "PASSED" if check.get("passed") is True else "FAILED"
            measured = f" (measured {check.get('measured')!r}, threshold {check.get('threshold')!r})"
            lines.append(f"- `{check['name']}`: {mark}{measured}")
    if isinstance(test_result, dict) and test_result.get("champion_version") not in (None, ""):
        lines.append(f"\nCompared with champion version {test_result['champion_version']}.")
    if test_run_url:
        lines.append(f"\nTest run: {test_run_url}")
    lines.append(f"\n_Recorded by {run_label}._")
    head = "\n".join(lines)
    report = str(test_result.get("report_markdown") or "") if isinstance(test_result, dict) else ""
    without_report = with_section(state.description, VALIDATION_HEADING, head)
    room = MAX_DESCRIPTION_CHARS - len(without_report) - 2
    body, truncated = fit_report(report, room, test_run_url) if report else ("", False)
    return with_section(state.description, VALIDATION_HEADING, f"{head}\n\n{body}" if body else head), truncated


def plan_validation(
    state: VersionState,
    challenger_holder: str | None,
    test_result: Any,
    *,
    mode: str | None = None,
    test_run_url: str | None = None,
    run_label: str = "Airflow",
    names: Names = Names(),
) -> Decision:
    """The writes that record a test result on `state` (alias `challenger` is held by `challenger_holder`)."""
    status = state.tags.get(names.status_tag)
    if status in (PASSED, FAILED):
        why = f"version {state.version} was already validated ({names.status_tag}={status}); nothing re-decided"
        return Decision(Verdict.ALREADY_DECIDED, why, extra={"validation_status": status})
    outcome = validation_outcome(test_result, mode)
    new_status = PASSED if outcome.approve else FAILED
    checks = test_result.get("checks") if isinstance(test_result, dict) else None
    writes: list[Write] = []
    for check in checks if isinstance(checks, list) else []:
        if isinstance(check, dict) and isinstance(check.get("name"), str):
            value = PASSED if check.get("passed") is True else FAILED
            writes += tag_write(state, check_tag_key(names.check_prefix, check["name"]), value)
    description, truncated = validation_description(state, outcome, test_result, test_run_url, run_label)
    if description != state.description:
        writes.append(Write(Kind.DESCRIPTION, state.version, value=description))
    reason = outcome.reason
    if outcome.approve:
        if _newer(challenger_holder, state.version):
            reason += f"; alias {names.challenger} stays on the newer version {challenger_holder}"
        elif challenger_holder != state.version:
            writes.append(Write(Kind.ALIAS, state.version, names.challenger))
    writes += tag_write(state, names.status_tag, new_status)  # last: the status says the record is complete
    verdict = Verdict.PASSED if outcome.approve else Verdict.FAILED
    extra = {"validation_status": new_status, "failed_checks": list(outcome.failed_checks)}
    return Decision(verdict, reason, tuple(writes), truncated, extra)


class NotValidated(ValueError):
    """Promotion refused: the version's validation status is not PASSED."""


# ---- promotion ----------------------------------------------------------------------------------------------------
class Approval(NamedTuple):
    approved: bool
    who: str  # who said so, as the trail words it
    by_person: bool = True  # False: no human approval was asked for


def approval_from_tag(value: str | None, tag: str = APPROVAL_TAG) -> Approval:
    """A person's verdict from the version's approval tag (`Approved` / `Rejected`, any case)."""
    verdict = (value or "").strip().lower()
    if verdict == APPROVED.lower():
        return Approval(True, f"a person set {tag}={APPROVED} on the version")
    if verdict == REJECTED.lower():
        return Approval(False, f"a person set {tag}={REJECTED} on the version")
    raise ValueError(f"the version's {tag!r} tag is {value!r}: expected {APPROVED!r} or {REJECTED!r}")


def approval_from_argument(approval: Any) -> Approval:
    """The review step's answer (or the approval-tag sensor's `{approved, by, ...}`); None means no human approval
    was required (the tests decide alone)."""
    if approval is None:
        return Approval(True, "no human approval was required", by_person=False)
    if isinstance(approval, dict) and approval.get("by") and not approval.get("approver"):
        approval = {**approval, "approver": approval["by"]}
    return Approval(*read_approval(approval))


def unenforced_failures(state: VersionState, names: Names) -> list[str]:
    """Checks recorded FAILED on a version that passed anyway (a dry run)."""
    prefix = names.check_prefix
    return sorted(k.removeprefix(prefix) for k, v in state.tags.items() if k.startswith(prefix) and v == FAILED)


@dataclass(frozen=True)
class PromotionMarker:
    """Tag `airflow.promotion` on the promoted version, written before the alias moves: which champion it
    replaces, when, and by which run, so a retry after a lost answer finishes the previous champion's trail."""

    previous: str | None
    at: str
    run: str

    def to_json(self) -> str:
        return json.dumps({"previous": self.previous, "at": self.at, "run": self.run}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> PromotionMarker | None:
        try:
            data = json.loads(text or "")
            previous = data.get("previous")
            return cls(None if previous is None else str(previous), str(data["at"]), str(data.get("run") or ""))
        except (ValueError, TypeError, AttributeError, KeyError):
            return None


def marker_of(state: VersionState) -> PromotionMarker | None:
    return PromotionMarker.from_json(state.tags.get(PROMOTION_MARKER_TAG))


def trail_writes(previous: VersionState | None, version: str, at: str, names: Names) -> list[Write]:
    if previous is None or previous.version == version:
        return []
    return tag_write(previous, names.replaced_at_tag, at) + tag_write(previous, names.replaced_by_tag, version)


def plan_promotion(
    state: VersionState,
    champion: VersionState | None,
    approval: Approval,
    *,
    now: str,
    run_label: str = "Airflow",
    names: Names = Names(),
) -> Decision:
    """The writes that carry out an approval decision for `state`.

    `champion` is the version alias `champion` points at, or — when that is `state` itself — the previous champion
    its marker names (so a retry finishes that version's trail).
    """
    status = state.tags.get(names.status_tag)
    if status != PASSED:
        raise NotValidated(
            f"version {state.version} is not validated ({names.status_tag}={status!r}, expected {PASSED!r}): "
            "it is never promoted without passing its tests; nothing changed"
        )
    approved, who, by_person = approval
    failures = unenforced_failures(state, names)
    if failures and approved and not by_person:
        approved, who = (
            False,
            (
                f"checks failed in a dry run ({', '.join(failures)}, not enforced) and no person approved it; "
                "failed checks are only ever approved by a person"
            ),
        )
    elif failures and approved:
        who += f", despite failed checks not enforced in a dry run ({', '.join(failures)})"
    extra = {"approved_by": who, "previous_champion": None}
    if names.champion in state.aliases:
        marker = marker_of(state)
        previous = champion if marker and champion and champion.version == marker.previous else None
        writes = trail_writes(previous, state.version, marker.at, names) if marker else []
        why = f"version {state.version} is already {names.champion}"
        if writes:
            why += f"; finishing version {previous.version if previous else '?'}'s replacement tags"
        extra["previous_champion"] = marker.previous if marker else None
        return Decision(Verdict.ALREADY_CHAMPION, why, tuple(writes), extra=extra)
    holder = champion.version if champion else None
    if _newer(holder, state.version):
        why = (
            f"the newer version {holder} is already {names.champion}: a late decision on version {state.version} "
            f"never moves the alias back; nothing changed"
        )
        return Decision(Verdict.SUPERSEDED, why, extra={**extra, "previous_champion": holder})
    wanted = APPROVED if approved else REJECTED
    recorded = state.tags.get(names.approval_tag) or ""
    if recorded and recorded.strip().lower() != wanted.lower():
        why = (
            f"the version already carries {names.approval_tag}={recorded!r}, but this run's approval says "
            f"{wanted!r} ({who}): one decision per version, nothing changed"
        )
        return Decision(Verdict.CONFLICT, why, extra=extra)
    # A person's own spelling of the tag (e.g. "approved") stays as they wrote it.
    writes = [] if recorded else [Write(Kind.TAG, state.version, names.approval_tag, wanted)]
    if not approved:
        body = f"**{REJECTED}**: {who}. Alias `{names.champion}` not moved.\n\n_Recorded by {run_label} at {now}._"
        if APPROVAL_HEADING not in state.description.splitlines() or not recorded:
            writes.append(
                Write(Kind.DESCRIPTION, state.version, value=with_section(state.description, APPROVAL_HEADING, body))
            )
        return Decision(Verdict.REJECTED, f"not promoted: {who}", tuple(writes), extra=extra)
    earlier = marker_of(state)
    at = earlier.at if earlier and earlier.previous == holder else now
    marker = PromotionMarker(holder, at, run_label)
    if earlier is None or (earlier.previous, earlier.at) != (marker.previous, marker.at):
        writes.append(Write(Kind.TAG, state.version, PROMOTION_MARKER_TAG, marker.to_json()))
    replaced = f"replacing version {holder}" if holder else "the first champion"
    body = f"**{APPROVED}**: {who}. Alias `{names.champion}` moved here ({replaced}) at {at}.\n\n_Recorded by {run_label}._"
    description = with_section(state.description, APPROVAL_HEADING, body)
    if description != state.description:
        writes.append(Write(Kind.DESCRIPTION, state.version, value=description))
    writes.append(Write(Kind.ALIAS, state.version, names.champion))
    writes += trail_writes(champion, state.version, at, names)
    extra["previous_champion"] = holder
    return Decision(
        Verdict.PROMOTED, f"{names.champion} moved to version {state.version}: {who}", tuple(writes), extra=extra
    )
