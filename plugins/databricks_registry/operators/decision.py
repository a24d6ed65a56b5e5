"""`TransitionRequestDecisionOperator`: approve or reject a transition request from its test result."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowSkipException

from databricks_registry.entities import Activity, TransitionRequestEvent
from databricks_registry.errors import RegistryError
from databricks_registry.links import RUN_PAGE_URL_KEY, DatabricksRunPageLink, ModelVersionLink
from databricks_registry.operators.base import RegistryOperator
from databricks_registry.operators.decision_plan import (
    PHASE_COMMENTED,
    PHASE_COMMENTING,
    Answer,
    DecisionMarker,
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
)
from databricks_registry.operators.decision_policy import (
    MODES,
    SKIPPED,
    Outcome,
    activity_text,
    comment_text,
    decide,
)

ON_CONFLICT = ("skip", "fail")


class TransitionRequestDecisionOperator(RegistryOperator):
    """Approve (archiving the versions in the target stage by default) or reject a request, with one comment.

    :param request: the sensor's event dict for the request (templated / XComArg).
    :param test_result: the test notebook's exit JSON `{passed, checks, metrics, champion_version,
        evaluation_run_id, report_markdown}` (templated / XComArg). Approves only if `passed` is true and every
        check passed; missing, unreadable or self-contradictory results reject (rules: `decision_policy`).
    :param approval: optional outcome of a human approval step; approves only if it says approve.
    :param mode: the test's mode, "enforce" (default: any failed check rejects) or "dry_run" (failed checks were not
        enforced: a person's approval may still approve, and the comment names those checks and the approver).
    :param on_conflict: when someone cancelled or decided the request meanwhile: "skip" (AirflowSkipException)
        or "fail". Either way nothing is changed.
    :param test_run_page_url: optional Databricks page of the test run, shown as an extra link.

    Returns `{decision: approved|rejected|skipped, model_name, version, to_stage, comment, reason, decision_id,
    comment_confirmed}`.
    Exactly-once under retries and lost answers: approve/reject are never re-sent blindly (a lost answer is
    resolved by reading the request and the version's stage), and progress is kept in the version tag
    `airflow.decision.<stage>.<run digest>` (one per DAG run and task instance), so task retries neither decide twice nor post the comment twice. The comment is
    posted at most once: if its own answer is lost it is not re-sent, and the result says `comment_confirmed:
    false` (the approve/reject activity still carries the verdict, reason and decision id).
    """

    template_fields: Sequence[str] = ("request", "test_result", "approval", "mode", "test_run_page_url")
    operator_extra_links = (ModelVersionLink(), DatabricksRunPageLink())

    def __init__(
        self,
        *,
        request: Any,
        test_result: Any,
        archive_existing_versions: bool = True,
        on_conflict: str = "skip",
        approval: Any = None,
        mode: str = "enforce",
        test_run_page_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if on_conflict not in ON_CONFLICT:
            raise ValueError(f"on_conflict must be one of {ON_CONFLICT}, got {on_conflict!r}")
        if not isinstance(archive_existing_versions, bool):
            raise ValueError("archive_existing_versions must be True or False")
        self.request = request
        self.test_result = test_result
        self.archive_existing_versions = archive_existing_versions
        self.on_conflict = on_conflict
        self.approval = approval
        self.mode = mode
        self.test_run_page_url = test_run_page_url

    def execute(self, context: Any) -> dict[str, Any]:
        """Carry out `decision_plan`: read the registry, plan, write, and follow what each answer implies."""
        request = TransitionRequestEvent.from_dict(self.request)
        if self.mode not in MODES:  # checked here: the value may be templated
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        outcome = decide(self.test_result, self.approval, self.mode)
        run_label = self._run_label(context)
        self.push_model_version_link(context, self.hook, request.model_name, request.version)
        if self.test_run_page_url:
            context["ti"].xcom_push(key=RUN_PAGE_URL_KEY, value=self.test_run_page_url)

        step, marker = self._look(request, run_label)
        if step.step is Step.ACT:
            new_marker = acting_marker(marker, outcome, run_label, request, uuid.uuid4().hex[:16])
            step, marker = self._act(request, outcome, new_marker)
        if step.step is Step.SKIP:
            reason = f"version {request.version} is already in {request.to_stage}; no action taken"
            self.log.info("%s", reason)
            return self._result(request, None, reason, None, confirmed=False)
        if step.step is Step.CONFLICT:
            return self._conflict(request, step)
        if marker is None:  # `plan` says DONE or COMMENT only for a run whose marker it read
            raise AirflowException(f"decision plan {step.step} without this run's progress marker ({step.why})")
        if step.step is Step.DONE:
            self.log.info("Nothing to do: %s (%s).", step.why, marker.decision)
            if step.mark:
                self._mark(request, marker.at(step.mark))
            reason = f"already decided by this DAG run: {marker.reason}"
            return self._result(request, marker, reason, None, confirmed=marker.phase == PHASE_COMMENTED)
        self.log.info("Commenting: %s.", step.why)
        return self._comment(request, outcome, marker, run_label)

    def _look(self, request: TransitionRequestEvent, run_label: str) -> tuple[Plan, DecisionMarker | None]:
        """Read the registry (version stage, this run's marker, open requests) and plan the next step."""
        version = self.hook.get_model_version(request.model_name, request.version)
        marker = own_marker(version.tags.get(marker_tag_key(request.to_stage, run_label)), run_label, request)
        open_requests = self.hook.list_transition_requests(request.model_name, request.version)
        is_open = self._find_open(open_requests, request) is not None
        return plan(marker, is_open, version.current_stage, request.to_stage), marker

    def _send(self, what: str, write: Any) -> tuple[Answer, RegistryError | None, Any]:
        """Send one non-idempotent write; how it answered, its error, its result."""
        try:
            return Answer.OK, None, write()
        except RegistryError as e:
            answer = answer_of(e)
            if answer is Answer.OK:  # a 2xx answer: applied, only its body is unreadable
                self.log.warning("The %s was applied but its answer is unreadable: %s", what, e)
            return answer, e, None

    def _act(
        self, request: TransitionRequestEvent, outcome: Outcome, marker: DecisionMarker
    ) -> tuple[Plan, DecisionMarker | None]:
        """Approve or reject once; `after_act` says what follows (looking at the registry if the answer is lost)."""
        self._mark(request, marker, required=True)
        text = activity_text(outcome, request, marker.run, marker.decision_id)
        hook, name, version, stage = self.hook, request.model_name, request.version, request.to_stage
        if outcome.approve:
            archive = self.archive_existing_versions
            answer, error, _ = self._send(
                outcome.decision, lambda: hook.approve_transition_request(name, version, stage, archive, text)
            )
        else:
            answer, error, _ = self._send(
                outcome.decision, lambda: hook.reject_transition_request(name, version, stage, text)
            )
        step = Plan(Step.COMMENT, f"{outcome.decision} the request")
        seen: DecisionMarker | None = marker
        follow = after_act(answer)
        if follow.look:
            step, seen = self._look(request, marker.run)
            self.log.warning(
                "The %s got no clear answer (%s); the registry says: %s.", outcome.decision, error, step.why
            )
            follow = after_act(answer, step)
        if follow.mark:
            seen = marker.at(follow.mark)
            self._mark(request, seen)
        if follow.reraise and error is not None:
            raise error
        return step, seen

    def _comment(
        self, request: TransitionRequestEvent, outcome: Outcome, marker: DecisionMarker, run_label: str
    ) -> dict[str, Any]:
        outcome = explained(outcome, marker)
        comment = comment_text(outcome, request, self.test_result, run_label, marker.decision_id)
        commenting = marker.at(PHASE_COMMENTING)
        self._mark(request, commenting, required=True)  # from here on the comment is sent at most once
        answer, error, created = self._send(
            "decision comment", lambda: self.hook.create_comment(request.model_name, request.version, comment)
        )
        follow = after_comment(answer)
        if follow.mark:
            self._mark(request, commenting.at(follow.mark, comment_id=created.id if created else None))
        if follow.reraise and error is not None:
            raise error
        confirmed = follow.mark == PHASE_COMMENTED
        if confirmed:
            self.log.info(
                "%s transition of %r version %s to %s: %s",
                marker.decision.capitalize(),
                request.model_name,
                request.version,
                request.to_stage,
                outcome.reason,
            )
        else:
            self.log.warning(
                "The decision comment may or may not have been stored (%s). It is not re-sent, to never post it "
                "twice; the %s activity carries decision id %s.",
                error,
                marker.decision,
                marker.decision_id,
            )
        return self._result(request, marker, outcome.reason, comment, confirmed=confirmed)

    @staticmethod
    def _find_open(open_requests: list[Activity], request: TransitionRequestEvent) -> Activity | None:
        for activity in open_requests:
            if activity.to_stage != request.to_stage:
                continue
            if request.requester and activity.user_id != request.requester:
                continue
            if request.creation_timestamp and activity.creation_timestamp not in (None, request.creation_timestamp):
                continue
            return activity
        return None

    def _mark(self, request: TransitionRequestEvent, marker: DecisionMarker, required: bool = False) -> None:
        """Record progress. A mark written before a non-idempotent write is required (no mark, no write); one
        written after it is bookkeeping whose loss the next look recovers from."""
        key = marker_tag_key(request.to_stage, marker.run)
        try:
            self.hook.set_model_version_tag(request.model_name, request.version, key, marker.to_json())
        except RegistryError as e:
            if required:
                raise
            self.log.warning("Could not record decision progress (%s): %s", marker.phase, e)

    def _conflict(self, request: TransitionRequestEvent, step: Plan) -> dict[str, Any]:
        message = (
            f"The request to move {request.model_name!r} version {request.version} to {request.to_stage} "
            f"(by {request.requester or 'unknown'}) is no longer open ({step.why}): someone cancelled, approved or "
            f"rejected it meanwhile (the version is now in {step.stage or 'None'}). No action taken."
        )
        if self.on_conflict == "skip":
            raise AirflowSkipException(message)
        raise AirflowException(message)

    @staticmethod
    def _run_label(context: Any) -> str:
        ti = context["ti"]
        map_index = getattr(ti, "map_index", -1)
        suffix = f"[{map_index}]" if map_index is not None and map_index >= 0 else ""
        return f"Airflow DAG {ti.dag_id} run {ti.run_id} task {ti.task_id}{suffix}"

    @staticmethod
    def _result(
        request: TransitionRequestEvent,
        marker: DecisionMarker | None,
        reason: str,
        comment: str | None,
        confirmed: bool,
    ) -> dict[str, Any]:
        return {
            "decision": marker.decision if marker else SKIPPED,
            "model_name": request.model_name,
            "version": request.version,
            "to_stage": request.to_stage,
            "comment": comment,
            "reason": reason,
            "decision_id": marker.decision_id if marker else None,
            "comment_confirmed": confirmed,
        }
