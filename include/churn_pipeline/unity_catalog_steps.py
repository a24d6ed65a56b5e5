"""The Unity Catalog steps of the churn DAGs (see `registry_steps`): each skips itself in workspace-registry runs.

Per candidate: `RecordValidationOperator` records the test result (tags, description, alias `challenger`); then,
only for a version that PASSED, the approval (the shared review step, or a person's `approval` tag in Databricks
waited for by `ApprovalTagSensor`) and `PromoteToChampionOperator` (alias `champion`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import AirflowSkipException

from churn_pipeline.registry_steps import RegistryStep, require_validated, tag_approval_required
from databricks_registry.unity_catalog.decision import PromoteToChampionOperator, RecordValidationOperator
from databricks_registry.unity_catalog.sensors import ApprovalTagSensor, PendingValidationSensor


class UcPendingVersionSensor(RegistryStep, PendingValidationSensor):  # Unity Catalog runs only
    registry = "uc"


class UcRecordValidation(RegistryStep, RecordValidationOperator):  # Unity Catalog runs only
    registry = "uc"


class _AfterValidation(RegistryStep):
    """Mixin: takes `validation` (the validation record's output) and skips unless the version PASSED."""

    def __init__(self, *, validation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validation = validation

    def check_applies(self, context: Any) -> None:
        require_validated(self.validation)


class UcApprovalTagWait(_AfterValidation, ApprovalTagSensor):
    """`ApprovalTagSensor` for a validated version, when the run asks for approval by tag in Databricks."""

    registry = "uc"
    template_fields: Sequence[str] = (*ApprovalTagSensor.template_fields, "validation")

    def check_applies(self, context: Any) -> None:
        if not tag_approval_required(context):
            raise AirflowSkipException("no approval by tag asked for (require_human_approval / approval_channel)")
        super().check_applies(context)


class UcPromotion(_AfterValidation, PromoteToChampionOperator):
    """`PromoteToChampionOperator` for a validated version: approval from the review step, or from the `approval`
    tag when the run asks for approval by tag."""

    registry = "uc"
    template_fields: Sequence[str] = (*PromoteToChampionOperator.template_fields, "validation")

    def check_applies(self, context: Any) -> None:
        super().check_applies(context)
        self.approval_from_tag = tag_approval_required(context)
