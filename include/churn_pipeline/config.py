"""Databricks job profiles (compute + polling) and notebook sources, read from `include/config/databricks_jobs.yaml`.

Read once per process (DAG parsing needs the profile names for the trigger form); everything else here is pure.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "databricks_jobs.yaml"
CONFIG_PATH_ENV = "CHURN_DATABRICKS_CONFIG"
PROFILE_ENV = "CHURN_CLUSTER_PROFILE"
SOURCE_ENV = "CHURN_NOTEBOOK_SOURCE"
_COMPUTE_KEYS = ("new_cluster", "existing_cluster_id")
_SOURCE_TYPES = ("WORKSPACE", "GIT")
# libyaml's loader parses this file ~25x faster than the pure-Python one: it is read on every DAG parse.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_Entry = TypeVar("_Entry")


class JobConfigError(ValueError):
    """The job config file, or a profile/source name asked for, is invalid."""


@dataclass(frozen=True)
class ComputeProfile:
    name: str
    polling_period_seconds: int
    timeout_seconds: int
    new_cluster: dict[str, Any] | None = None
    existing_cluster_id: str | None = None
    performance_target: str | None = None
    # Default AutoML time budget for runs on this compute (the retraining DAG's `timeout_minutes` param).
    automl_timeout_minutes: float = 5
    description: str = ""

    @property
    def serverless(self) -> bool:
        return self.new_cluster is None and self.existing_cluster_id is None

    def task_compute(self) -> dict[str, Any]:
        """The compute fields of one `runs/submit` task (none at all means serverless)."""
        if self.new_cluster is not None:
            return {"new_cluster": copy.deepcopy(self.new_cluster)}
        if self.existing_cluster_id is not None:
            return {"existing_cluster_id": self.existing_cluster_id}
        return {}


@dataclass(frozen=True)
class NotebookSource:
    name: str
    type: str
    root: str
    git_source: dict[str, str] | None = None

    def notebook_path(self, notebook: str) -> str:
        return f"{self.root.rstrip('/')}/{notebook}"


@dataclass(frozen=True)
class JobConfig:
    profiles: dict[str, ComputeProfile]
    sources: dict[str, NotebookSource]
    default_profile: str
    default_source: str
    path: Path = field(default=DEFAULT_CONFIG_PATH)

    def profile(self, name: str | None = None) -> ComputeProfile:
        return self._named("cluster profile", "profiles", name or self.default_profile, self.profiles)

    def source(self, name: str | None = None) -> NotebookSource:
        return self._named("notebook source", "sources", name or self.default_source, self.sources)

    def _named(self, kind: str, plural: str, name: str, known: dict[str, _Entry]) -> _Entry:
        if name not in known:
            raise JobConfigError(f"unknown {kind} {name!r}; known {plural} in {self.path}: {sorted(known)}")
        return known[name]


def _positive(raw: dict, key: str, where: str, integer: bool = True, default: float | None = None) -> Any:
    value = raw.get(key, default)
    wrong_type = isinstance(value, bool) or not isinstance(value, int if integer else (int, float))
    if wrong_type or value is None or value <= 0:
        raise JobConfigError(f"{where}: {key} must be a positive {'integer' if integer else 'number'}, got {value!r}")
    return value


def _parse_profile(name: str, raw: Any, path: Path) -> ComputeProfile:
    where = f"{path}: profile {name!r}"
    if not isinstance(raw, dict):
        raise JobConfigError(f"{where} must be a mapping")
    compute = [key for key in _COMPUTE_KEYS if raw.get(key) is not None]
    if len(compute) > 1:
        raise JobConfigError(f"{where} sets both {compute}: pick one (or none for serverless)")
    if raw.get("new_cluster") is not None and not isinstance(raw["new_cluster"], dict):
        raise JobConfigError(f"{where}: new_cluster must be a mapping")
    return ComputeProfile(
        name=name,
        polling_period_seconds=_positive(raw, "polling_period_seconds", where),
        timeout_seconds=_positive(raw, "timeout_seconds", where),
        new_cluster=raw.get("new_cluster"),
        existing_cluster_id=raw.get("existing_cluster_id"),
        performance_target=raw.get("performance_target"),
        automl_timeout_minutes=_positive(raw, "automl_timeout_minutes", where, integer=False, default=5),
        description=" ".join(str(raw.get("description", "")).split()),
    )


def _parse_source(name: str, raw: Any, path: Path) -> NotebookSource:
    where = f"{path}: notebook source {name!r}"
    if not isinstance(raw, dict) or raw.get("type") not in _SOURCE_TYPES:
        raise JobConfigError(f"{where} needs type one of {_SOURCE_TYPES}")
    if not raw.get("root"):
        raise JobConfigError(f"{where} needs a root folder")
    git_source = raw.get("git_source")
    if raw["type"] == "GIT":
        if not isinstance(git_source, dict) or not git_source.get("git_url") or not git_source.get("git_provider"):
            raise JobConfigError(f"{where}: type GIT needs git_source with git_url and git_provider")
        refs = [ref for ref in ("git_branch", "git_tag", "git_commit") if git_source.get(ref)]
        if len(refs) != 1:
            raise JobConfigError(f"{where}: git_source needs exactly one of git_branch, git_tag, git_commit")
    else:
        git_source = None
    return NotebookSource(name=name, type=raw["type"], root=str(raw["root"]), git_source=git_source)


def parse_config(raw: Any, path: Path = DEFAULT_CONFIG_PATH) -> JobConfig:
    if not isinstance(raw, dict) or not isinstance(raw.get("profiles"), dict) or not raw["profiles"]:
        raise JobConfigError(f"{path}: needs a non-empty `profiles` mapping")
    if not isinstance(raw.get("notebook_sources"), dict) or not raw["notebook_sources"]:
        raise JobConfigError(f"{path}: needs a non-empty `notebook_sources` mapping")
    config = JobConfig(
        profiles={name: _parse_profile(name, spec, path) for name, spec in raw["profiles"].items()},
        sources={name: _parse_source(name, spec, path) for name, spec in raw["notebook_sources"].items()},
        default_profile=str(raw.get("default_profile") or next(iter(raw["profiles"]))),
        default_source=str(raw.get("default_notebook_source") or next(iter(raw["notebook_sources"]))),
        path=path,
    )
    # Fail at load time, not at the first run, when a default names nothing.
    config.profile()
    config.source()
    return config


@lru_cache(maxsize=4)
def _load(path: Path, profile_override: str | None, source_override: str | None) -> JobConfig:
    try:
        raw = yaml.load(path.read_text(), Loader=_YAML_LOADER)
    except OSError as exc:
        raise JobConfigError(f"cannot read job config {path}: {exc}") from exc
    if isinstance(raw, dict):
        raw = dict(raw)
        raw["default_profile"] = profile_override or raw.get("default_profile")
        raw["default_notebook_source"] = source_override or raw.get("default_notebook_source")
    return parse_config(raw, path)


def load_config() -> JobConfig:
    """The deployment's job config: the file at $CHURN_DATABRICKS_CONFIG (or the bundled one), with the
    default profile / notebook source overridable by $CHURN_CLUSTER_PROFILE / $CHURN_NOTEBOOK_SOURCE."""
    path = Path(os.environ.get(CONFIG_PATH_ENV) or DEFAULT_CONFIG_PATH)
    return _load(path, os.environ.get(PROFILE_ENV) or None, os.environ.get(SOURCE_ENV) or None)
