"""Typed value objects for Workspace Model Registry answers (field names as in databricks-sdk `service/ml.py`).

`from_dict` tolerates missing optional fields (the API omits empty ones) and keeps timestamps as epoch milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

T = TypeVar("T")

STAGES = ("None", "Staging", "Production", "Archived")


def normalize_stage(stage: Any) -> str:
    """Return the canonical stage name (`staging` -> `Staging`); reject anything that is not a registry stage."""
    if isinstance(stage, str):
        for known in STAGES:
            if stage.strip().lower() == known.lower():
                return known
    raise ValueError(f"Invalid stage {stage!r}: expected one of {', '.join(STAGES)}")


def normalize_version(version: Any) -> str:
    """Model versions are positive integers, sent and returned as strings."""
    text = str(version).strip() if isinstance(version, (str, int)) and not isinstance(version, bool) else ""
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"Invalid model version {version!r}: expected a positive integer")
    return str(int(text))


def normalize_model_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"Invalid model name {name!r}: expected a non-empty string")
    return name


def _int(value: Any) -> int | None:
    return int(value) if value is not None and value != "" else None


def _from_api(cls: type[T], d: dict[str, Any], **converted: Any) -> T:
    """Build `cls` from an API object by field name: absent fields keep their default, `*_timestamp` fields become
    int, `available_actions` a tuple; `converted` holds the fields that need more (nested objects, tags)."""
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]  # every cls given is a dataclass
        if f.name in converted:
            values[f.name] = converted[f.name]
        elif f.name in d:
            value = d[f.name]
            if f.name.endswith("_timestamp"):
                value = _int(value)
            elif f.name == "available_actions":
                value = tuple(value or ())
            values[f.name] = value
    return cls(**values)


@dataclass(frozen=True)
class Activity:
    """A registry activity: an open transition request (from `transition-requests/list`) or a decision."""

    id: str | None = None
    activity_type: str | None = None
    comment: str | None = None
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    from_stage: str | None = None
    to_stage: str | None = None
    system_comment: str | None = None
    user_id: str | None = None
    available_actions: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Activity:
        return _from_api(cls, d)


@dataclass(frozen=True)
class TransitionRequest:
    """The request returned by `transition-requests/create`."""

    to_stage: str | None = None
    user_id: str | None = None
    comment: str | None = None
    creation_timestamp: int | None = None
    available_actions: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TransitionRequest:
        return _from_api(cls, d)


@dataclass(frozen=True)
class Comment:
    id: str | None = None
    comment: str | None = None
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    user_id: str | None = None
    available_actions: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Comment:
        return _from_api(cls, d)


def _tags(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return {t["key"]: t.get("value", "") for t in raw or () if isinstance(t, dict) and "key" in t}


@dataclass(frozen=True)
class ModelVersion:
    """`ModelVersion` / `ModelVersionDatabricks` (the latter adds `open_requests` and `permission_level`)."""

    name: str
    version: str
    current_stage: str | None = None
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    description: str | None = None
    source: str | None = None
    run_id: str | None = None
    run_link: str | None = None
    status: str | None = None
    status_message: str | None = None
    user_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    open_requests: tuple[Activity, ...] = ()
    permission_level: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelVersion:
        return _from_api(
            cls,
            d,
            name=d.get("name", ""),
            version=str(d.get("version", "")),
            tags=_tags(d.get("tags")),
            open_requests=tuple(Activity.from_dict(a) for a in d.get("open_requests") or ()),
        )


@dataclass(frozen=True)
class RegisteredModel:
    """`registered_model_databricks` from `databricks/registered-models/get`."""

    name: str
    id: str | None = None
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    description: str | None = None
    user_id: str | None = None
    permission_level: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    latest_versions: tuple[ModelVersion, ...] = ()

    @property
    def newest_version(self) -> int | None:
        """Highest version number among the latest version of each stage, i.e. the newest registered version."""
        numbers = [int(v.version) for v in self.latest_versions if v.version.isdigit()]
        return max(numbers) if numbers else None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RegisteredModel:
        return _from_api(
            cls,
            d,
            name=d.get("name", ""),
            tags=_tags(d.get("tags")),
            latest_versions=tuple(ModelVersion.from_dict(v) for v in d.get("latest_versions") or ()),
        )


@dataclass(frozen=True)
class ModelVersionPage:
    """One page of `model-versions/search`."""

    model_versions: tuple[ModelVersion, ...]
    next_page_token: str | None = None


def event_name_for(to_stage: str) -> str:
    """The registry webhook event a request to `to_stage` fires (stage-specific where Databricks has one)."""
    if to_stage in ("Staging", "Production", "Archived"):
        return f"TRANSITION_REQUEST_TO_{to_stage.upper()}_CREATED"
    return "TRANSITION_REQUEST_CREATED"


@dataclass(frozen=True)
class TransitionRequestEvent:
    """A pending transition request in the shape of a registry job-webhook payload (plus requester/comment).

    This is what the sensor pushes to XCom (as `to_dict()`), what the test notebook receives as `event_message`,
    and what the decision operator takes as `request`.
    """

    model_name: str
    version: str
    to_stage: str
    from_stage: str | None
    requester: str | None
    comment: str | None
    creation_timestamp: int | None

    @property
    def event(self) -> str:
        return event_name_for(self.to_stage)

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        """Identity of a request: one user's open request for one version and stage at one time."""
        return (self.model_name, self.version, self.to_stage, self.requester or "", self.creation_timestamp or 0)

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        return (self.creation_timestamp or 0, int(self.version), self.to_stage, self.requester or "")

    @property
    def text(self) -> str:
        who = self.requester or "A user"
        return (
            f"{who} requested a transition of registered model '{self.model_name}' version {self.version} "
            f"from {self.from_stage or 'None'} to {self.to_stage}."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "model_name": self.model_name,
            "version": self.version,
            "to_stage": self.to_stage,
            "from_stage": self.from_stage,
            "requester": self.requester,
            "comment": self.comment,
            "creation_timestamp": self.creation_timestamp,
            "event_timestamp": self.creation_timestamp,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, d: Any) -> TransitionRequestEvent:
        """Validate an event dict (e.g. from XCom); raise ValueError naming what is wrong."""
        if not isinstance(d, dict):
            raise ValueError(f"Expected a transition request event dict, got {type(d).__name__}")
        missing = [k for k in ("model_name", "version", "to_stage") if not d.get(k)]
        if missing:
            raise ValueError(f"Transition request event is missing {', '.join(missing)}: {d!r}")
        return cls(
            model_name=normalize_model_name(d["model_name"]),
            version=normalize_version(d["version"]),
            to_stage=normalize_stage(d["to_stage"]),
            from_stage=d.get("from_stage"),
            requester=d.get("requester"),
            comment=d.get("comment"),
            creation_timestamp=_int(d.get("creation_timestamp") or d.get("event_timestamp")),
        )

    @classmethod
    def from_activity(cls, model_name: str, version: str, activity: Activity, from_stage: str | None = None):
        return cls(
            model_name=model_name,
            version=str(version),
            to_stage=activity.to_stage or "",
            from_stage=activity.from_stage or from_stage,
            requester=activity.user_id,
            comment=activity.comment,
            creation_timestamp=activity.creation_timestamp,
        )
