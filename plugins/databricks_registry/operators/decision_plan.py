"""Where the decision of one request stands and what to do next: a pure function of registry state and a marker.

The workspace registry has no idempotency keys and no API that lists comments, so progress is recorded in a tag on
the version, `airflow.decision.<stage>.<run digest>` (one per DAG run and task; set-tag is idempotent), written *before* each non-idempotent write:

    acting ──approve/reject──▶ acted ──▶ commenting ──comments/create──▶ commented
                                                    └─ outcome unknown ─▶ comment_unconfirmed

* `acting` carries a fresh decision id. If the approve/reject answer is lost (5xx, reset, timeout, worker crash),
  the next look decides from the registry itself: request still open → it was not applied, act again; request
  closed and the version in the target stage (approve) / not in it (reject) → it was applied, go on to the comment.
* `commenting` means a comment may have been sent. With no way to read comments back, it is never sent again: the
  comment is posted at most once (exactly once unless its own answer is lost; see README "Reliability").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from enum import Enum

from databricks_registry.entities import TransitionRequestEvent
from databricks_registry.operators.decision_policy import APPROVED

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

    def at(self, phase: str, **changes: str | None) -> DecisionMarker:
        return replace(self, phase=phase, **changes)

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


class Step(str, Enum):
    DONE = "done"  # this run already posted (or may have posted) its comment: nothing more to write
    SKIP = "skip"  # the version is already in the target stage, not through this run
    CONFLICT = "conflict"  # the request was closed by someone else: change nothing
    ACT = "act"  # the request is open: approve/reject it, then comment
    COMMENT = "comment"  # this run's decision is applied; its comment is not posted yet


@dataclass(frozen=True)
class Plan:
    step: Step
    why: str


def plan(marker: DecisionMarker | None, request_open: bool, stage: str | None, to_stage: str) -> Plan:
    """The next step, given this run's marker (`own_marker`), whether the request is open and the version's stage."""
    if marker is not None and marker.phase in _COMMENT_PHASES:
        if marker.phase == PHASE_COMMENTED:
            return Plan(Step.DONE, "this DAG run already decided this request and posted its comment")
        return Plan(
            Step.DONE,
            "this DAG run already decided this request; its comment may have been posted and is never sent twice",
        )
    if marker is not None and marker.phase == PHASE_ACTED:
        return Plan(Step.COMMENT, f"this DAG run already {marker.decision} the request; its comment is missing")
    if request_open:
        return Plan(Step.ACT, "the request is open")
    if marker is not None and marker.phase == PHASE_ACTING:
        in_stage = stage == to_stage
        if in_stage == (marker.decision == APPROVED):
            return Plan(
                Step.COMMENT,
                f"an earlier try's {marker.decision[:-1]} was applied (request closed, version "
                f"in {stage}); its comment is missing",
            )
        return Plan(Step.CONFLICT, f"an earlier try's {marker.decision[:-1]} did not land and the request is closed")
    if stage == to_stage:
        return Plan(Step.SKIP, f"the version is already in {to_stage}")
    return Plan(Step.CONFLICT, "the request is no longer open")
