"""`CreateTransitionRequestOperator`: file a stage transition request for a model version, retry-safe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from databricks_registry.entities import (
    Activity,
    TransitionRequestEvent,
    normalize_model_name,
    normalize_stage,
    normalize_version,
)
from databricks_registry.errors import RegistryOutcomeUnknown, RegistryResourceConflict
from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.links import ModelVersionLink
from databricks_registry.operators.base import RegistryOperator


class CreateTransitionRequestOperator(RegistryOperator):
    """Request a stage transition for a model version; XCom the request as a sensor-shaped event dict.

    Retry-safe: if the version already has an open request to `stage` with the same comment (a previous try of this
    task filed it, or this try's answer was lost), or the workspace refuses a second open request by the same user
    (409), the open request is returned instead of filing another.
    """

    template_fields: Sequence[str] = ("model_name", "version", "stage", "comment")
    operator_extra_links = (ModelVersionLink(),)

    def __init__(
        self, *, model_name: str, version: str | int, stage: str = "Staging", comment: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.version = version
        self.stage = stage
        self.comment = comment

    def execute(self, context: Any) -> dict[str, Any]:
        name, version = normalize_model_name(self.model_name), normalize_version(self.version)
        stage = normalize_stage(self.stage)
        hook = self.hook
        current = hook.get_model_version(name, version)
        self.push_model_version_link(context, hook, name, version)
        existing = self._open_request(hook, name, version, stage, same_comment=True)
        if existing is not None:
            self.log.info(
                "Version %s of %r already has this open request to %s; not filing another.", version, name, stage
            )
            return TransitionRequestEvent.from_activity(name, version, existing, current.current_stage).to_dict()
        try:
            request = hook.create_transition_request(name, version, stage, self.comment)
        except RegistryOutcomeUnknown:
            # The answer was lost: look before filing again (a repeat would be refused or duplicate the request).
            existing = self._open_request(hook, name, version, stage, same_comment=True)
            if existing is None:
                raise  # not filed: the task retry files it
            self.log.warning("The answer to filing the request was lost, but the request is open; using it.")
            return TransitionRequestEvent.from_activity(name, version, existing, current.current_stage).to_dict()
        except RegistryResourceConflict:
            # Databricks allows one open request per user, version and stage: ours is already there.
            existing = self._open_request(hook, name, version, stage, same_comment=False)
            if existing is None:
                raise
            self.log.warning(
                "An open request to %s already exists for version %s of %r (comment %r); using it.",
                stage,
                version,
                name,
                existing.comment,
            )
            return TransitionRequestEvent.from_activity(name, version, existing, current.current_stage).to_dict()
        self.log.info(
            "Requested transition of %r version %s from %s to %s.", name, version, current.current_stage, stage
        )
        return TransitionRequestEvent(
            model_name=name,
            version=version,
            to_stage=request.to_stage or stage,
            from_stage=current.current_stage,
            requester=request.user_id,
            comment=request.comment,
            creation_timestamp=request.creation_timestamp,
        ).to_dict()

    def _open_request(
        self, hook: ModelRegistryHook, name: str, version: str, stage: str, same_comment: bool
    ) -> Activity | None:
        for activity in hook.list_transition_requests(name, version):
            if activity.to_stage != stage:
                continue
            if not same_comment or (activity.comment or None) == (self.comment or None):
                return activity
        return None
