"""Operators that file things on a model version: a transition request, a comment."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from databricks_registry.entities import (
    Activity,
    TransitionRequestEvent,
    as_dict,
    normalize_model_name,
    normalize_stage,
    normalize_version,
)
from databricks_registry.errors import (
    RegistryError,
    RegistryOutcomeUnknown,
    RegistryResourceConflict,
    RegistryResponseError,
)
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


class ModelVersionCommentOperator(RegistryOperator):
    """Post a comment on a model version; XCom the created comment (id, comment, creation_timestamp, user_id).

    At most once per DAG run, also across task retries: the version tag `airflow.comment.<dag>.<task>.<digest>` (the
    digest names the DAG run and map index, so runs and mapped instances never overwrite each other) records that
    this run is posting (before the call) and the created id (after it). comments/create is not idempotent and no
    API lists comments, so a try that finds "posting" (an earlier answer was lost or the worker died) does not post
    again; it returns `comment_confirmed: false`.
    """

    template_fields: Sequence[str] = ("model_name", "version", "comment")
    template_fields_renderers = {"comment": "md"}
    operator_extra_links = (ModelVersionLink(),)

    def __init__(self, *, model_name: str, version: str | int, comment: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.version = version
        self.comment = comment

    def execute(self, context: Any) -> dict[str, Any]:
        name, version = normalize_model_name(self.model_name), normalize_version(self.version)
        if not isinstance(self.comment, str) or not self.comment.strip():
            raise ValueError("comment must be a non-empty string")
        hook = self.hook
        ti = context["ti"]
        run = f"{ti.run_id}[{getattr(ti, 'map_index', -1)}]"
        key = comment_tag_key(ti.dag_id, ti.task_id, run)
        previous = _read_json(hook.get_model_version(name, version).tags.get(key))
        self.push_model_version_link(context, hook, name, version)
        if previous.get("run") == run and previous.get("phase") in ("posting", "posted"):
            confirmed = previous["phase"] == "posted"
            self.log.info(
                "This DAG run already %s this comment; not posting it again.",
                "posted" if confirmed else "tried to post",
            )
            return {"id": previous.get("comment_id"), "comment": self.comment, "comment_confirmed": confirmed}
        hook.set_model_version_tag(name, version, key, json.dumps({"run": run, "phase": "posting"}))
        try:
            created = hook.create_comment(name, version, self.comment)
        except RegistryResponseError as e:  # a 2xx answer: stored, only its id is unknown
            self.log.warning("The comment was stored but its answer is unreadable: %s", e)
            created = None
        except RegistryOutcomeUnknown as e:
            self.log.warning("The comment may or may not have been stored (%s); it is not re-sent.", e)
            return {"id": None, "comment": self.comment, "comment_confirmed": False}
        except RegistryError:
            hook.set_model_version_tag(name, version, key, json.dumps({"run": run, "phase": "refused"}))
            raise
        comment_id = created.id if created else None
        try:
            hook.set_model_version_tag(
                name, version, key, json.dumps({"run": run, "phase": "posted", "comment_id": comment_id})
            )
        except RegistryError as e:  # the comment exists; a retry finds "posting" and does not post it again
            self.log.warning("Could not record the posted comment's id: %s", e)
        self.log.info("Commented on %r version %s (comment id %s).", name, version, comment_id)
        if created is None:
            return {"id": None, "comment": self.comment, "comment_confirmed": True}
        result = as_dict(created)
        result["available_actions"] = list(created.available_actions)
        result["comment_confirmed"] = True
        return result


_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/ ]")


def comment_tag_key(dag_id: str, task_id: str, run: str) -> str:
    """A readable prefix plus a digest of DAG, task, run and map index: unique per instance, within Databricks'
    250-byte tag-key limit and its key characters."""
    digest = hashlib.sha256(f"{dag_id}\n{task_id}\n{run}".encode()).hexdigest()[:16]
    return _TAG_UNSAFE.sub("_", f"airflow.comment.{dag_id}.{task_id}")[:200] + "." + digest


def _read_json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
