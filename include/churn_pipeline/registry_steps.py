"""The registry-specific steps of the churn DAGs. Each runs only in runs of its registry and skips itself in the
other, so one DAG carries both modes and the shared steps (notebook runs, result reading, human review) exist
once. Shared steps downstream of a mode's step use a trigger rule that lets a skipped step through.

Workspace registry: the transition-request sensor, request and decision. Unity Catalog: the pending-validation
sensor, the validation record (tags, description, alias `challenger`), the approval-tag wait and the promotion
(alias `champion`).
"""

from __future__ import annotations

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
        if current != self.registry:
            raise AirflowSkipException(f"this run works with the {current} registry; this step is for {self.registry}")
        self.check_applies(context)
        return super().execute(context)

    def check_applies(self, context: Any) -> None:
        """Raise `AirflowSkipException` (saying why) when this run of the registry does not need the step."""


class WorkspaceRequestSensor(RegistryStep, TransitionRequestSensor):  # workspace-registry runs only
    registry = "workspace"


class WorkspaceTransitionRequest(RegistryStep, CreateTransitionRequestOperator):  # workspace-registry runs only
    registry = "workspace"


class WorkspaceDecision(RegistryStep, TransitionRequestDecisionOperator):  # workspace-registry runs only
    registry = "workspace"


class CandidateReview(ReviewOperator):
    """The shared review step: asks a person in Airflow when `airflow_review_required` (else answers null)."""

    def review_required(self, context: Any) -> bool:
        return airflow_review_required(context)


def approval_channel(context: Any) -> str:
    """Where a person approves a Unity Catalog candidate: "airflow" (the review step) or "databricks_tag"."""
    channel = str(context["params"].get("approval_channel") or "airflow")
    if channel not in APPROVAL_CHANNELS:
        raise ValueError(f"param approval_channel must be one of {list(APPROVAL_CHANNELS)}, got {channel!r}")
    return channel


def human_approval_required(context: Any) -> bool:
    return is_on(context["params"].get("require_human_approval", False))


def airflow_review_required(context: Any) -> bool:
    """The review step asks a person: approval is required and, in Unity Catalog, asked for in Airflow."""
    if not human_approval_required(context):
        return False
    return context_target(context).registry == "workspace" or approval_channel(context) == "airflow"


def tag_approval_required(context: Any) -> bool:
    """A Unity Catalog candidate waits for a person's `approval` tag in Databricks."""
    return human_approval_required(context) and approval_channel(context) == "databricks_tag"


def require_validated(validation: Any) -> None:
    """Skip a promotion step for a version the validation did not pass (nothing to approve or promote)."""
    status = (validation or {}).get("validation_status") if isinstance(validation, dict) else None
    if status != PASSED:
        raise AirflowSkipException(f"validation_status is {status or 'unknown'}, not {PASSED}: nothing to promote")
