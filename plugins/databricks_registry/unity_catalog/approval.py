"""The approval-tag decision (Databricks deployment jobs' convention), shared by the sensor and the trigger.

A person approves a version by setting a tag on it in Catalog Explorer (`approval` = `Approved`, or `Rejected`).
One poke is one `model-versions/get`. Values are compared without regard to case or surrounding spaces (a person
types them); any other value means "not decided yet". UC tags do not say who set them: `by` is the value of the
optional companion tag `approver_tag_key` when a person (or a tool) records it, else None.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any

from databricks_registry.unity_catalog.entities import UcModelVersion, normalize_tag_key
from databricks_registry.watch import Fetch

DEFAULT_APPROVAL_TAG = "approval"
DEFAULT_APPROVED_VALUE = "Approved"
DEFAULT_REJECTED_VALUE = "Rejected"
DEFAULT_APPROVER_TAG = "approved_by"
# What a decision holds (`ApprovalRule.decide`, the ApprovalTagSensor's return value).
DECISION_KEYS = ("approved", "by", "source", "model_name", "version", "tag_key", "tag_value")


def _folded(value: str | None) -> str:
    return (value or "").strip().casefold()


@dataclass(frozen=True)
class ApprovalRule:
    tag_key: str = DEFAULT_APPROVAL_TAG
    approved_value: str = DEFAULT_APPROVED_VALUE
    rejected_value: str = DEFAULT_REJECTED_VALUE
    approver_tag_key: str | None = DEFAULT_APPROVER_TAG

    def __post_init__(self) -> None:
        normalize_tag_key(self.tag_key)
        if self.approver_tag_key is not None:
            normalize_tag_key(self.approver_tag_key)
        values = (self.approved_value, self.rejected_value)
        if not all(isinstance(v, str) and v.strip() for v in values) or _folded(values[0]) == _folded(values[1]):
            raise ValueError(f"approved_value and rejected_value must be two different non-empty strings: {values}")

    def verdict(self, value: str | None) -> bool | None:
        """True for `approved_value`, False for `rejected_value` (any case, surrounding spaces), else None."""
        if _folded(value) == _folded(self.approved_value):
            return True
        return False if _folded(value) == _folded(self.rejected_value) else None

    def approver(self, tags: Mapping[str, str]) -> str | None:
        """Who decided, from the companion tag (None when it is not recorded or not read)."""
        return (tags.get(self.approver_tag_key) or None) if self.approver_tag_key else None

    def decide(self, version: UcModelVersion) -> dict[str, Any] | None:
        """The decision the version's tag records, or None while it records none."""
        value = version.tags.get(self.tag_key)
        approved = self.verdict(value)
        if approved is None:
            return None
        return {
            "approved": approved,
            "by": self.approver(version.tags),
            "source": "uc_tag",
            "model_name": version.full_name,
            "version": str(version.version),
            "tag_key": self.tag_key,
            "tag_value": value,
        }


def approval_steps(full_name: str, version: int, rule: ApprovalRule) -> Generator[Fetch, Any, dict[str, Any] | None]:
    """One poke, free of I/O: read the version, return its decision (None: not decided yet)."""
    model_version: UcModelVersion = yield Fetch("get_model_version", (full_name, version))
    return rule.decide(model_version)
