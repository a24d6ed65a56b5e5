"""Who may change a Unity Catalog model's aliases, tags and version descriptions.

As in Unity Catalog: the model's owner (its creator, unless ownership moved), or a user granted the right
privilege. Grants come from the users file (`{"<token>": {"user": "...", "uc_privileges": ["MANAGE"]}}`) and
hold metastore-wide (this emulation has no per-object GRANT): MANAGE covers aliases, tags, descriptions
and deletion; APPLY_TAG covers tags only. The workspace-registry permission levels (CAN_MANAGE, ...) do not apply here.
"""

from __future__ import annotations

from local_workspace.context import current_config
from local_workspace.errors import DatabricksApiError
from local_workspace.unity_catalog.models import RegisteredModelRow

MANAGE = "MANAGE"
APPLY_TAG = "APPLY_TAG"


def privileges(user: str) -> frozenset[str]:
    return frozenset(current_config().uc_privileges.get(user, ()))


def _denied(user: str, action: str, model: RegisteredModelRow, privilege: str) -> DatabricksApiError:
    return DatabricksApiError(
        "PERMISSION_DENIED",
        f"User '{user}' does not have {privilege} on Registered Model '{model.full_name}' (needed to {action}); "
        f"only its owner '{model.owner}' or a user granted {privilege} may.",
        403,
    )


def require_manage(user: str, model: RegisteredModelRow, action: str) -> None:
    if user != model.owner and MANAGE not in privileges(user):
        raise _denied(user, action, model, MANAGE)


def require_apply_tag(user: str, model: RegisteredModelRow, action: str) -> None:
    if user != model.owner and not privileges(user) & {MANAGE, APPLY_TAG}:
        raise _denied(user, action, model, "APPLY TAG")
