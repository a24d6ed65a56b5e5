"""`TransitionRequestDecisionOperator`: approve or reject a transition request from its test result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowSkipException

from databricks_registry.entities import Activity, TransitionRequestEvent
from databricks_registry.errors import RegistryError, RegistryUnavailable
from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.links import RUN_PAGE_URL_KEY, DatabricksRunPageLink, ModelVersionLink
from databricks_registry.operators.base import RegistryOperator
from databricks_registry.operators.decision_policy import (
    APPROVED,
    MARKER_TAG_PREFIX,
    PHASE_ACTED,
    PHASE_ACTING,
    PHASE_COMMENTED,
    PHASE_FAILED,
    REJECTED,
    SKIPPED,
    DecisionMarker,
    Outcome,
    comment_text,
    decide,
    request_key,
)

ON_CONFLICT = ("skip", "fail")


class TransitionRequestDecisionOperator(RegistryOperator):
    """Approve (archiving the versions in the target stage by default) or reject a request, always with a comment.

    :param request: the sensor's event dict for the request (templated / XComArg).
    :param test_result: the test notebook's exit JSON `{passed, checks, metrics, champion_version,
        evaluation_run_id, report_markdown}` (templated / XComArg). Missing or not passed: never approves.
    :param approval: optional outcome of a human approval step; approves only if it says approve.
    :param on_conflict: when someone cancelled or decided the request meanwhile: "skip" (AirflowSkipException)
        or "fail". Either way nothing is changed.
    :param test_run_page_url: optional Databricks page of the test run, shown as an extra link.

    Returns `{decision: approved|rejected|skipped, model_name, version, to_stage, comment, reason}`.
    Idempotent: a version already in the target stage, or a request this DAG run already decided, succeeds without
    a second action or a duplicate comment.
    """

    template_fields: Sequence[str] = ("request", "test_result", "approval", "test_run_page_url")
    operator_extra_links = (ModelVersionLink(), DatabricksRunPageLink())

    def __init__(self, *, request: Any, test_result: Any, archive_existing_versions: bool = True,
                 on_conflict: str = "skip", approval: Any = None, test_run_page_url: str | None = None,
                 **kwargs: Any) -> None:
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
        self.test_run_page_url = test_run_page_url

    def execute(self, context: Any) -> dict[str, Any]:
        request = TransitionRequestEvent.from_dict(self.request)
        outcome = decide(self.test_result, self.approval)
        decision = APPROVED if outcome.approve else REJECTED
        run_label = self._run_label(context)
        hook = self.hook
        self.push_model_version_link(context, hook, request.model_name, request.version)
        if self.test_run_page_url:
            context["ti"].xcom_push(key=RUN_PAGE_URL_KEY, value=self.test_run_page_url)

        tag_key = MARKER_TAG_PREFIX + request.to_stage
        version = hook.get_model_version(request.model_name, request.version)
        marker = DecisionMarker.from_json(version.tags.get(tag_key))
        mine = marker if marker and marker.run == run_label and marker.request_key == request_key(request) else None
        if mine and mine.phase == PHASE_COMMENTED:
            self.log.info("This DAG run already decided this request (%s); nothing to do.", mine.decision)
            return self._result(request, mine.decision, mine.reason, comment=None, already=True)

        comment = comment_text(outcome, request, self.test_result, run_label)
        open_request = self._find_open(hook.list_transition_requests(request.model_name, request.version), request)
        if open_request is None and not (mine and mine.phase in (PHASE_ACTING, PHASE_ACTED)):
            if version.current_stage == request.to_stage:
                reason = f"version {request.version} is already in {request.to_stage}; no action taken"
                self.log.info("%s", reason)
                return self._result(request, SKIPPED, reason, comment=None)
            return self._conflict(request, version.current_stage)

        if open_request is not None:
            if mine and mine.decision != decision:
                self.log.warning("A previous try decided %s; now %s.", mine.decision, decision)
            self._mark(hook, request, tag_key, DecisionMarker(run_label, request_key(request), decision,
                                                             PHASE_ACTING, outcome.reason))
            try:
                self._act(hook, request, outcome.approve, comment)
            except RegistryUnavailable:
                raise  # maybe applied, maybe not: the "acting" mark lets a retry find out
            except RegistryError:
                # Refused (permission, invalid...): certainly not applied, so a retry must not assume it was.
                self._mark(hook, request, tag_key, DecisionMarker(run_label, request_key(request), decision,
                                                                 PHASE_FAILED, outcome.reason))
                raise
            self._mark(hook, request, tag_key, DecisionMarker(run_label, request_key(request), decision,
                                                             PHASE_ACTED, outcome.reason))
        elif mine.phase == PHASE_ACTING and mine.decision == APPROVED and version.current_stage != request.to_stage:
            # The earlier approve never landed (the version is not in the stage) and the request is gone since.
            return self._conflict(request, version.current_stage)
        else:  # a previous try acted, then died before its comment: only the comment is missing
            decision, outcome = mine.decision, Outcome(mine.decision == APPROVED, mine.reason)
            comment = comment_text(outcome, request, self.test_result, run_label)
            self.log.info("A previous try already %s the request; posting its comment.", decision)
        created = hook.create_comment(request.model_name, request.version, comment)
        self._mark(hook, request, tag_key, DecisionMarker(run_label, request_key(request), decision,
                                                         PHASE_COMMENTED, outcome.reason, created.id))
        self.log.info("%s transition of %r version %s to %s: %s", decision.capitalize(), request.model_name,
                      request.version, request.to_stage, outcome.reason)
        return self._result(request, decision, outcome.reason, comment=comment)

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

    def _act(self, hook: ModelRegistryHook, request: TransitionRequestEvent, approve: bool, comment: str) -> None:
        # The activity carries the first line of the decision; the full report goes in a separate comment.
        header = comment.splitlines()[0].lstrip("# ")
        if approve:
            hook.approve_transition_request(request.model_name, request.version, request.to_stage,
                                            self.archive_existing_versions, header)
        else:
            hook.reject_transition_request(request.model_name, request.version, request.to_stage, header)

    def _mark(self, hook: ModelRegistryHook, request: TransitionRequestEvent, key: str,
              marker: DecisionMarker) -> None:
        try:
            hook.set_model_version_tag(request.model_name, request.version, key, marker.to_json())
        except RegistryError as e:  # the decision itself matters more than its bookkeeping
            self.log.warning("Could not record decision progress in tag %s: %s", key, e)

    def _conflict(self, request: TransitionRequestEvent, stage: str | None) -> dict[str, Any]:
        message = (
            f"The request to move {request.model_name!r} version {request.version} to {request.to_stage} "
            f"(by {request.requester or 'unknown'}) is no longer open: someone cancelled, approved or rejected "
            f"it meanwhile (the version is now in {stage or 'None'}). No action taken."
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
    def _result(request: TransitionRequestEvent, decision: str, reason: str, comment: str | None,
                already: bool = False) -> dict[str, Any]:
        return {"decision": decision, "model_name": request.model_name, "version": request.version,
                "to_stage": request.to_stage, "comment": comment,
                "reason": f"already decided by this DAG run: {reason}" if already else reason}
