"""Who may decide stage transitions, following Databricks' registered-model permission levels.

Users get a level from the users file (`{"<token>": {"user": "...", "permission": "CAN_EDIT"}}`); users without
one (including the main token's user) have CAN_MANAGE. Anyone may request a transition and cancel their own
requests; approving, rejecting, applying or cancelling others' requests needs a level covering the stage.
"""

from __future__ import annotations

from local_workspace.config import LEVELS
from local_workspace.context import current_config

__all__ = ["LEVELS", "can_manage_stage", "permission_level"]

DEFAULT_LEVEL = "CAN_MANAGE"

_STAGES_BY_LEVEL = {
    "CAN_READ": frozenset(),
    "CAN_EDIT": frozenset(),
    "CAN_MANAGE_STAGING_VERSIONS": frozenset({"None", "Staging", "Archived"}),
    "CAN_MANAGE_PRODUCTION_VERSIONS": frozenset({"None", "Staging", "Production", "Archived"}),
    "CAN_MANAGE": frozenset({"None", "Staging", "Production", "Archived"}),
}


def permission_level(user: str | None) -> str:
    return current_config().permissions.get(user or "", DEFAULT_LEVEL)


def can_manage_stage(user: str | None, stage: str) -> bool:
    return stage in _STAGES_BY_LEVEL.get(permission_level(user), frozenset())
