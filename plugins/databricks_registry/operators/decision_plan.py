"""Where the decision of one request stands and what to do next: pure functions of registry state, a marker and
how the last write answered. `TransitionRequestDecisionOperator.execute` only reads, writes and follows them.

The workspace registry has no idempotency keys and no API that lists comments, so progress is recorded in a tag on
the version, `airflow.decision.<stage>.<run digest>` (one per DAG run and task; set-tag is idempotent), written *before* each non-idempotent write:

    acting ──approve/reject──▶ acted ──▶ commenting ──comments/create──▶ commented
                                                    └─ outcome unknown ─▶ comment_unconfirmed

* `acting` carries a fresh decision id. If the approve/reject answer is lost (5xx, reset, timeout, worker crash),
  the next look decides from the registry itself: request still open → it was not applied, act again; request
  closed and the version in the target stage (approve) / not in it (reject) → it was applied, go on to the comment.
* `commenting` means a comment may have been sent. With no way to read comments back, it is never sent again: the
  comment is posted at most once (exactly once unless its own answer is lost; see README "Reliability").

`plan` says what to do from what the registry shows; `after_act` and `after_comment` say what follows a write from
how it answered (`answer_of`), looking at the registry again (`plan`) when the answer leaves it open.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from enum import StrEnum

from databricks_registry.entities import TransitionRequestEvent
from databricks_registry.errors import (
    RegistryError,
    RegistryOutcomeUnknown,
    RegistryResourceConflict,
    RegistryResourceNotFound,
    RegistryResponseError,
)
from databricks_registry.operators.decision_policy import APPROVED, Outcome

MARKER_TAG_PREFIX = "airflow.decision."
PHASE_ACTING, PHASE_ACTED, PHASE_FAILED = "acting", "acted", "failed"
PHASE_COMMENTING, PHASE_COMMENTED, PHASE_COMMENT_UNCONFIRMED = "commenting", "commented", "comment_unconfirmed"
_COMMENT_PHASES = (PHASE_COMMENTING, PHASE_COMMENTED, PHASE_COMMENT_UNCONFIRMED)
# Databricks guarantees 5000 bytes for a model-version tag value (local MLflow allows more): the free-text reason
# is cut so the marker always fits.
MAX_TAG_VALUE_BYTES = 5000
MAX_MARKER_REASON_CHARS = 500


def marker_tag_key(stage: str, run: str) -> str:
    """`airflow.decision.<stage>.<digest of the run label>`: runs and mapped instances never overwrite each other
    (keys stay short and use only characters Databricks accepts in tag keys)."""
    return f"{MARKER_TAG_PREFIX}{stage}.{hashlib.sha256(run.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class DecisionMarker:
    """Stored as JSON in tag `marker_tag_key(stage, run)` on the version."""

    run: str
    request_key: str
    decision: str
    phase: str
    reason: str = ""
    decision_id: str | None = None
    comment_id: str | None = None

    def to_json(self) -> str:
        data = asdict(self)
        reason = data["reason"] or ""
        limit = MAX_MARKER_REASON_CHARS
        while True:  # the reason is only a reminder (the activity and comment carry it in full)
            data["reason"] = reason if len(reason) <= limit else reason[:limit] + "…"
            text = json.dumps(data, sort_keys=True)
            if len(text.encode()) < MAX_TAG_VALUE_BYTES or limit == 0:
                return text
            limit //= 2

    def at(self, phase: str, comment_id: str | None = None) -> DecisionMarker:
        return replace(self, phase=phase, comment_id=comment_id or self.comment_id)

    @classmethod
    def from_json(cls, text: str | None) -> DecisionMarker | None:
        try:
            data = json.loads(text or "")
            return cls(
                **{
                    k: data.get(k)
                    for k in ("run", "request_key", "decision", "phase", "reason", "decision_id", "comment_id")
                }
            )
        except (ValueError, TypeError, AttributeError):
            return None


def request_key(request: TransitionRequestEvent) -> str:
    return f"{request.to_stage}|{request.requester or ''}|{request.creation_timestamp or ''}"


def own_marker(tag_value: str | None, run: str, request: TransitionRequestEvent) -> DecisionMarker | None:
    """The marker if this DAG run wrote it for this very request; markers of other runs or requests are ignored."""
    marker = DecisionMarker.from_json(tag_value)
    return marker if marker and marker.run == run and marker.request_key == request_key(request) else None


class Step(StrEnum):
    DONE = "done"  # this run already posted (or may have posted) its comment: nothing more to write
    SKIP = "skip"  # the version is already in the target stage, not through this run
    CONFLICT = "conflict"  # the request was closed by someone else: change nothing
    ACT = "act"  # the request is open: approve/reject it, then comment
    COMMENT = "comment"  # this run's decision is applied; its comment is not posted yet


@dataclass(frozen=True)
class Plan:
    step: Step
    why: str
    stage: str | None = None  # the version's stage when the registry was read
    mark: str | None = None  # a phase to record on this run's marker before carrying the step out


def plan(marker: DecisionMarker | None, request_open: bool, stage: str | None, to_stage: str) -> Plan:
    """The next step, given this run's marker (`own_marker`), whether the request is open and the version's stage."""
    if marker is not None and marker.phase in _COMMENT_PHASES:
        if marker.phase == PHASE_COMMENTED:
            return Plan(Step.DONE, "this DAG run already decided this request and posted its comment", stage)
        # A try that died while commenting: whether its comment landed stays unknown, and is recorded so.
        mark = PHASE_COMMENT_UNCONFIRMED if marker.phase == PHASE_COMMENTING else None
        why = "this DAG run already decided this request; its comment may have been posted and is never sent twice"
        return Plan(Step.DONE, why, stage, mark)
    if marker is not None and marker.phase == PHASE_ACTED:
        return Plan(Step.COMMENT, f"this DAG run already {marker.decision} the request; its comment is missing", stage)
    if request_open:
        return Plan(Step.ACT, "the request is open", stage)
    if marker is not None and marker.phase == PHASE_ACTING:
        in_stage = stage == to_stage
        if in_stage == (marker.decision == APPROVED):
            why = f"an earlier try's {marker.decision[:-1]} was applied (request closed, version in {stage})"
            return Plan(Step.COMMENT, f"{why}; its comment is missing", stage)
        why = f"an earlier try's {marker.decision[:-1]} did not land and the request is closed"
        return Plan(Step.CONFLICT, why, stage)
    if stage == to_stage:
        return Plan(Step.SKIP, f"the version is already in {to_stage}", stage)
    return Plan(Step.CONFLICT, "the request is no longer open", stage)


def acting_marker(
    earlier: DecisionMarker | None, outcome: Outcome, run: str, request: TransitionRequestEvent, new_id: str
) -> DecisionMarker:
    """The marker recorded before approving/rejecting. An earlier try's unanswered write of the same decision may
    still land: it keeps that try's decision id, so the activity and the comment name one id."""
    earlier_id = earlier.decision_id if earlier is not None and earlier.decision == outcome.decision else None
    decision_id = earlier_id or new_id
    return DecisionMarker(run, request_key(request), outcome.decision, PHASE_ACTING, outcome.reason, decision_id)


class Answer(StrEnum):
    """How a write ended."""

    OK = "ok"  # 2xx, also with an unreadable body: applied
    UNKNOWN = "unknown"  # sent, then no answer or a 5xx: may or may not have been applied
    GONE = "gone"  # 404/409: no such open request (an earlier try's late write may have closed it)
    REFUSED = "refused"  # any other error: certainly not applied


def answer_of(error: RegistryError | None) -> Answer:
    if error is None or isinstance(error, RegistryResponseError):
        return Answer.OK
    if isinstance(error, RegistryOutcomeUnknown):
        return Answer.UNKNOWN
    if isinstance(error, (RegistryResourceNotFound, RegistryResourceConflict)):
        return Answer.GONE
    return Answer.REFUSED


@dataclass(frozen=True)
class Next:
    """What follows a write: `mark` (a phase to record), then `step`, re-raise the write's error, or look first."""

    mark: str | None = None
    step: Step | None = None  # None (and no reraise): finished
    reraise: bool = False
    look: bool = False  # read the registry, `plan`, and ask again with that plan


def after_act(answer: Answer, looked: Plan | None = None) -> Next:
    """After approve/reject. An ambiguous answer is resolved by what the registry shows, never by sending again."""
    if answer is Answer.OK:
        return Next(PHASE_ACTED, Step.COMMENT)
    if answer is Answer.REFUSED:
        return Next(PHASE_FAILED, reraise=True)
    if looked is None:
        return Next(look=True)
    if answer is Answer.UNKNOWN:
        # Still open, so not applied: the task retry acts again (the marker still says "acting").
        return Next(reraise=True) if looked.step is Step.ACT else Next(step=looked.step)
    # Gone: ours landed after all (a late write of an earlier try), or someone else closed the request.
    if looked.step is Step.COMMENT:
        return Next(step=Step.COMMENT)
    if looked.step in (Step.SKIP, Step.CONFLICT):
        return Next(PHASE_FAILED, looked.step)
    return Next(PHASE_FAILED, reraise=True)


def after_comment(answer: Answer) -> Next:
    """After comments/create: posted, or possibly posted (never re-sent), or refused (a task retry posts it)."""
    if answer is Answer.OK:
        return Next(PHASE_COMMENTED)
    if answer is Answer.UNKNOWN:
        return Next(PHASE_COMMENT_UNCONFIRMED)
    return Next(PHASE_ACTED, reraise=True)


def explained(outcome: Outcome, marker: DecisionMarker) -> Outcome:
    """The outcome the comment explains: an earlier try's decision, if it decided otherwise than this try would."""
    if marker.decision == outcome.decision:
        return outcome
    return Outcome(marker.decision == APPROVED, marker.reason)
