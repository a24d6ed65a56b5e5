"""The registry-specific steps of the churn DAGs. Each runs only in runs of its registry and skips itself in the
other, so one DAG carries both modes and the shared steps (notebook runs, result reading, human review) exist
once. Shared steps downstream of a mode's step use a trigger rule that lets a skipped step through.

Workspace registry: the transition-request sensor, request and decision. Unity Catalog: the pending-validation
sensor, the validation record (tags, description, alias `challenger`), the approval-tag wait and the promotion
(alias `champion`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import AirflowSkipException
from airflow.sdk import BaseOperator

from churn_contract.unity_catalog import PASSED, RegistryMode
from churn_pipeline.approval import ReviewOperator, is_on
from churn_pipeline.registry_mode import context_target
from databricks_registry.operators import CreateTransitionRequestOperator, TransitionRequestDecisionOperator
from databricks_registry.sensors import TransitionRequestSensor

APPROVAL_CHANNELS = ("airflow", "databricks_tag")


class RegistryStep(BaseOperator):
    """Mixin: run only when this DAG run works with `registry` (`registry_mode.run_target`); else skip."""

    registry: ClassVar[RegistryMode]

    def execute(self, context: Any) -> Any:
        current = context_target(context).registry
        try:
            if current != self.registry:
                raise AirflowSkipException(
                    f"this run works with the {current} registry; this step is for {self.registry}"
                )
            self.check_applies(context)
        except AirflowSkipException:
            self._empty_outputs(context)
            raise
        return super().execute(context)

    def _empty_outputs(self, context: Any) -> None:
        """An explicit null result and empty extra-link values: the shared steps downstream pull the result, and the
        links are read when the step ends (a missing XCom would log "XCom not found" errors in every run)."""
        context["ti"].xcom_push(key="return_value", value=None)
        for link in self.operator_extra_links:
            key = getattr(link, "xcom_key", None)  # our links say where they read their URL
            if key:
                context["ti"].xcom_push(key=key, value="")

    def check_applies(self, context: Any) -> None:
        """Raise `AirflowSkipException` (saying why) when this run of the registry does not need the step."""


class WorkspaceRequestSensor(RegistryStep, TransitionRequestSensor):  # workspace-registry runs only
    registry = "workspace"


class WorkspaceTransitionRequest(RegistryStep, CreateTransitionRequestOperator):  # workspace-registry runs only
    registry = "workspace"


class WorkspaceDecision(RegistryStep, TransitionRequestDecisionOperator):  # workspace-registry runs only
    registry = "workspace"


class CandidateReview(ReviewOperator):
    """The shared review step: asks a person in Airflow when the run requires approval there (else answers null).

    In Unity Catalog runs only for a version whose validation PASSED (`validation`: the validation record's
    output): a FAILED version is never promoted, so nobody is asked about it. The workspace registry's review
    asks for every candidate (a dry run's failed checks may be approved there)."""

    template_fields: Sequence[str] = (*ReviewOperator.template_fields, "validation")

    def __init__(self, *, validation: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validation = validation

    def review_required(self, context: Any) -> bool:
        if not human_approval_required(context):
            return False
        if context_target(context).registry == "workspace":
            return True
        return approval_channel(context) == "airflow" and validation_status(self.validation) == PASSED


def approval_channel(context: Any) -> str:
    """Where a person approves a Unity Catalog candidate: "airflow" (the review step) or "databricks_tag"."""
    channel = str(context["params"].get("approval_channel") or "airflow")
    if channel not in APPROVAL_CHANNELS:
        raise ValueError(f"param approval_channel must be one of {list(APPROVAL_CHANNELS)}, got {channel!r}")
    return channel


def human_approval_required(context: Any) -> bool:
    return is_on(context["params"].get("require_human_approval", False))


def tag_approval_required(context: Any) -> bool:
    """A Unity Catalog candidate waits for a person's `approval` tag in Databricks."""
    return human_approval_required(context) and approval_channel(context) == "databricks_tag"


def validation_status(validation: Any) -> str | None:
    """`validation_status` from the validation record's output (None when it did not run)."""
    return validation.get("validation_status") if isinstance(validation, dict) else None


def require_validated(validation: Any) -> None:
    """Skip a promotion step for a version the validation did not pass (nothing to approve or promote)."""
    status = validation_status(validation)
    if status != PASSED:
        raise AirflowSkipException(f"validation_status is {status or 'unknown'}, not {PASSED}: nothing to promote")
