"""Settings shared by the server processes, read from the environment that `local-workspace serve` sets.

Several uvicorn workers and the run dispatcher all build the same config from the same variables, so nothing
here may live only in one process's memory.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, model_validator

from local_workspace.validation import describe, rejected

DEFAULT_USER = "local-user@example.com"
DEFAULT_PORT = 8799
DEFAULT_DATA_DIR = ".local/workspace"

# Databricks' registered-model permission levels, weakest first (see registry/permissions.py).
Level = Literal["CAN_READ", "CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS", "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE"]
LEVELS: tuple[str, ...] = get_args(Level)
UserName = Annotated[str, StringConstraints(min_length=1)]
# Unity Catalog privileges a user may be granted metastore-wide (see unity_catalog/permissions.py).
UcPrivilege = Literal["MANAGE", "APPLY_TAG"]


class UserEntry(BaseModel):
    """One user of the users file: `"<user name>"` or `{"user": "<user name>", "permission": "CAN_EDIT"}`.

    Other keys (a "note", a "team") are allowed and ignored, so people can annotate the file; but a misspelt
    `permission` would silently leave the user with CAN_MANAGE, so a key that looks like a misspelt field name
    (or holds a permission level while `permission` is missing) is refused with a "did you mean".
    """

    model_config = ConfigDict(strict=True, extra="ignore")
    user: UserName
    permission: Level | None = None  # None: CAN_MANAGE, like every user not listed
    uc_privileges: list[UcPrivilege] = []  # none: only their own Unity Catalog models

    @model_validator(mode="before")
    @classmethod
    def _no_misspelt_field(cls, data: Any) -> Any:
        for key, value in data.items() if isinstance(data, dict) else ():
            meant = _misspelt_field(str(key), value, data)
            if meant:
                raise rejected(f"unknown key {str(key)[:40]!r}: did you mean {meant!r}?")
        return data


def _misspelt_field(key: str, value: Any, entry: dict) -> str | None:
    fields = [name for name in UserEntry.model_fields if name not in entry]
    if key in UserEntry.model_fields or not fields:
        return None
    close = difflib.get_close_matches(key.lower(), fields, n=1, cutoff=0.6)
    close += [name for name in fields if len(key) >= 3 and name.startswith(key.lower())]  # "perm"
    if "permission" in fields and isinstance(value, str) and value.upper() in LEVELS:
        close.append("permission")  # {"level": "CAN_EDIT"}
    return close[0] if close else None


class UsersFileError(ValueError):
    pass


def read_users_file(path: Path) -> dict[str, UserEntry]:
    """token -> user of a users file; UsersFileError names the entry (by position: tokens are secrets)."""
    try:
        users = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise UsersFileError(f"cannot read a JSON object: {exc}") from exc
    if not isinstance(users, dict):
        raise UsersFileError("must hold a JSON object")
    entries = {}
    for number, (token, entry) in enumerate(users.items(), start=1):
        try:
            entries[token] = UserEntry.model_validate({"user": entry} if isinstance(entry, str) else entry)
        except ValidationError as exc:
            raise UsersFileError(f"entry {number}: {describe(exc)}") from None
    return entries


@dataclass(frozen=True)
class WorkspaceConfig:
    data_dir: Path
    # Where this process is reached from this machine (notebook runs call back here).
    base_url: str
    # token -> user name; the user name becomes `user_id` / `creator_user_name` in API answers.
    tokens: dict[str, str] = field(default_factory=dict)
    # Workspace paths such as `/Workspace/Shared/x/notebook` resolve to files below this directory.
    workspace_dir: Path | None = None
    max_concurrent_runs: int = 2
    # user name -> registry permission level (CAN_READ ... CAN_MANAGE); users not listed have CAN_MANAGE.
    permissions: dict[str, str] = field(default_factory=dict)
    # Where a person's browser reaches the workspace when that differs from base_url (a container behind a
    # published port); used for the pages the API links to (`run_page_url`), as a real workspace links its own host.
    public_url: str | None = None
    # user name -> Unity Catalog privileges (MANAGE, APPLY_TAG) on every model; owners need none on their own.
    uc_privileges: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def page_url(self) -> str:
        return self.public_url or self.base_url

    @property
    def db_path(self) -> Path:
        """Our own state (transition requests, comments, job runs); MLflow keeps its tables in mlflow.db."""
        return self.data_dir / "workspace.db"

    @property
    def mlflow_db_uri(self) -> str:
        return f"sqlite:///{self.data_dir / 'mlflow.db'}"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def runs_dir(self) -> Path:
        """Per-run working files and logs of notebook runs."""
        return self.data_dir / "runs"

    @property
    def secrets_file(self) -> Path:
        return self.data_dir / "secrets.json"

    def user_for_token(self, token: str | None) -> str | None:
        if not token:
            return None
        return self.tokens.get(token)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> WorkspaceConfig:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("LOCAL_WORKSPACE_DATA_DIR", DEFAULT_DATA_DIR)).resolve()
        tokens: dict[str, str] = {}
        permissions: dict[str, str] = {}
        uc_privileges: dict[str, frozenset[str]] = {}
        users_file = env.get("LOCAL_WORKSPACE_USERS_FILE")
        users = read_users_file(Path(users_file)) if users_file else {}
        for user_token, entry in users.items():
            tokens[user_token] = entry.user
            if entry.permission:
                permissions[entry.user] = entry.permission
            if entry.uc_privileges:
                uc_privileges[entry.user] = frozenset(entry.uc_privileges)
        token = env.get("LOCAL_WORKSPACE_TOKEN")
        if not token and env.get("LOCAL_WORKSPACE_TOKEN_FILE"):
            token = Path(env["LOCAL_WORKSPACE_TOKEN_FILE"]).read_text().strip()
        if token:
            tokens[token] = env.get("LOCAL_WORKSPACE_USER", DEFAULT_USER)
        workspace_dir = env.get("LOCAL_WORKSPACE_WORKSPACE_DIR")
        return cls(
            data_dir=data_dir,
            base_url=env.get("LOCAL_WORKSPACE_URL", f"http://127.0.0.1:{DEFAULT_PORT}"),
            tokens=tokens,
            workspace_dir=Path(workspace_dir).resolve() if workspace_dir else None,
            max_concurrent_runs=int(env.get("LOCAL_WORKSPACE_MAX_CONCURRENT_RUNS", "2")),
            permissions=permissions,
            public_url=env.get("LOCAL_WORKSPACE_PUBLIC_URL") or None,
            uc_privileges=uc_privileges,
        )
