"""A local `dbutils` with the parts notebooks use in jobs: widgets, notebook.exit, secrets.

Error messages follow Databricks' wording so notebook code that matches on them keeps working.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

SECRET_ENV_PREFIX = "LOCAL_WORKSPACE_SECRET_"


class InputWidgetNotDefined(Exception):
    """Databricks raises this (com.databricks.dbutils_v1.InputWidgetNotDefined) for an unknown widget."""


class NotebookExit(BaseException):
    """Raised by `dbutils.notebook.exit` to stop the notebook; BaseException so `except Exception` can't eat it."""

    def __init__(self, value: str):
        super().__init__(value)
        self.value = value


class SecretNotFound(Exception):
    pass


class Widgets:
    """Widget values: job parameters (base_parameters) win over the defaults a notebook declares."""

    def __init__(self, parameters: dict[str, str]):
        self._parameters = dict(parameters)
        self._defaults: dict[str, str] = {}
        self._choices: dict[str, list[str]] = {}

    def text(self, name: str, defaultValue: str = "", label: str | None = None) -> None:
        self._define(name, defaultValue)

    def dropdown(self, name: str, defaultValue: str, choices: Iterable[str], label: str | None = None) -> None:
        self._define_choice(name, defaultValue, choices, "dropdown")

    def combobox(self, name: str, defaultValue: str, choices: Iterable[str], label: str | None = None) -> None:
        # A combobox accepts free text, so the default need not be one of the choices.
        self._choices[name] = [str(choice) for choice in choices]
        self._define(name, defaultValue)

    def multiselect(self, name: str, defaultValue: str, choices: Iterable[str], label: str | None = None) -> None:
        self._define_choice(name, defaultValue, choices, "multiselect")

    def get(self, name: str) -> str:
        if name in self._parameters:
            return self._parameters[name]
        if name in self._defaults:
            return self._defaults[name]
        raise InputWidgetNotDefined(f"No input widget named {name} is defined")

    def getArgument(self, name: str, optional: str | None = None) -> str | None:
        try:
            return self.get(name)
        except InputWidgetNotDefined:
            if optional is not None:
                return optional
            raise

    def getAll(self) -> dict[str, str]:
        return {**self._defaults, **self._parameters}

    def remove(self, name: str) -> None:
        if name not in self._defaults:
            raise InputWidgetNotDefined(f"No input widget named {name} is defined")
        self._defaults.pop(name)
        self._choices.pop(name, None)

    def removeAll(self) -> None:
        self._defaults.clear()
        self._choices.clear()

    def push_parameters(self, overrides: dict[str, str]) -> dict[str, str]:
        """For `%run ./nb $x=1`: set values for the included notebook; returns the previous ones to restore."""
        previous = dict(self._parameters)
        self._parameters.update(overrides)
        return previous

    def restore_parameters(self, previous: dict[str, str]) -> None:
        self._parameters = previous

    def _define_choice(self, name: str, default: str, choices: Iterable[str], kind: str) -> None:
        options = [str(choice) for choice in choices]
        defaults = str(default).split(",") if kind == "multiselect" else [str(default)]
        missing = [value for value in defaults if value not in options]
        if missing:
            raise ValueError(f"Default value {default!r} of {kind} widget {name!r} is not one of its choices {options}")
        self._choices[name] = options
        self._define(name, default)

    def _define(self, name: str, default: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("A widget needs a non-empty string name")
        self._defaults[name] = str(default)

    def __repr__(self) -> str:
        return "<dbutils.widgets: text, dropdown, combobox, multiselect, get, getArgument, getAll, remove, removeAll>"


class Notebook:
    def exit(self, value: object) -> None:
        """Stop the notebook; the value (as a string, like Databricks) becomes the run's notebook_output.result."""
        raise NotebookExit("" if value is None else str(value))

    def run(self, path: str, timeout_seconds: int = 0, arguments: dict | None = None) -> str:
        raise NotImplementedError(
            "dbutils.notebook.run is not supported by the local workspace; use %run or a multi-task run instead"
        )


class Library:
    def restartPython(self) -> None:
        """Databricks restarts Python after `%pip` (which the runner ignores: nothing new to load); a no-op here."""


class Secrets:
    """Secrets from the workspace's secrets file ({scope: {key: value}}) or LOCAL_WORKSPACE_SECRET_<SCOPE>_<KEY>.

    Every value handed out is registered with `on_reveal` so the runner can redact it from logs and outputs.
    """

    def __init__(self, secrets_file: Path | None, environ: dict[str, str], on_reveal: Callable[[str], None]):
        self._file = secrets_file
        self._environ = environ
        self._on_reveal = on_reveal

    def get(self, scope: str, key: str) -> str:
        value = self._lookup(scope, key)
        self._on_reveal(value)
        return value

    def getBytes(self, scope: str, key: str) -> bytes:
        return self.get(scope, key).encode()

    def listScopes(self) -> list[str]:
        return sorted(self._from_file())

    def list(self, scope: str) -> list[str]:
        scopes = self._from_file()
        if scope not in scopes:
            raise SecretNotFound(f"Scope {scope} does not exist!")
        return sorted(scopes[scope])

    def _lookup(self, scope: str, key: str) -> str:
        env_name = f"{SECRET_ENV_PREFIX}{_env_part(scope)}_{_env_part(key)}"
        if env_name in self._environ:
            return self._environ[env_name]
        scopes = self._from_file()
        if scope in scopes and key in scopes[scope]:
            return str(scopes[scope][key])
        raise SecretNotFound(
            f"Secret does not exist with scope: {scope} and key: {key} "
            f"(local workspace: add it to the secrets file or set {env_name})"
        )

    def _from_file(self) -> dict[str, dict[str, str]]:
        if not self._file or not self._file.is_file():
            return {}
        data = json.loads(self._file.read_text())
        if not isinstance(data, dict):
            raise SecretNotFound(f"Secrets file {self._file} must hold a JSON object {{scope: {{key: value}}}}")
        return data

    def __repr__(self) -> str:
        return "<dbutils.secrets: get, getBytes, list, listScopes>"


class TaskValues:
    """`dbutils.jobs.taskValues`: small JSON values a task hands to downstream tasks of the same run.

    Stored as `<run dir>/task_values/<task_key>.json`; outside a job run `get` answers `debugValue`.
    """

    MAX_BYTES = 48 * 1024  # Databricks' limit for one value's JSON

    def __init__(self, directory: Path | None, task_key: str | None):
        self._directory = directory
        self._task_key = task_key

    def set(self, key: str, value: object) -> None:
        encoded = json.dumps(value)
        if len(encoded.encode()) > self.MAX_BYTES:
            raise ValueError(f"Task value {key!r} is larger than 48 KiB once serialized to JSON")
        if self._directory is None or self._task_key is None:
            return  # Databricks ignores set() outside a job run
        values = self._read(self._task_key)
        values[key] = value
        self._directory.mkdir(parents=True, exist_ok=True)
        (self._directory / f"{self._task_key}.json").write_text(json.dumps(values))

    def get(self, taskKey: str, key: str, default: object = None, debugValue: object = None) -> object:
        if self._directory is None:
            if debugValue is None:
                raise TypeError(
                    "Must pass debugValue when calling get outside of a job context. debugValue cannot be None."
                )
            return debugValue
        values = self._read(taskKey)
        if key in values:
            return values[key]
        if default is not None:
            return default
        raise ValueError(f"No task value found for taskKey {taskKey!r} and key {key!r}")

    def _read(self, task_key: str) -> dict:
        path = self._directory / f"{task_key}.json" if self._directory else None
        return json.loads(path.read_text()) if path and path.is_file() else {}


class Jobs:
    def __init__(self, task_values: TaskValues):
        self.taskValues = task_values


def _env_part(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).upper()


class DBUtils:
    def __init__(
        self,
        parameters: dict[str, str],
        secrets_file: Path | None,
        on_reveal: Callable[[str], None],
        task_values_dir: Path | None = None,
        task_key: str | None = None,
    ):
        self.widgets = Widgets(parameters)
        self.notebook = Notebook()
        self.secrets = Secrets(secrets_file, dict(os.environ), on_reveal)
        self.jobs = Jobs(TaskValues(task_values_dir, task_key))
        self.library = Library()

    def __getattr__(self, name: str):
        raise AttributeError(
            f"dbutils.{name} is not available in the local workspace (supported: widgets, notebook, secrets, jobs, library.restartPython)"
        )

    def __repr__(self) -> str:
        return "<dbutils (local workspace): widgets, notebook, secrets, jobs.taskValues, library.restartPython>"
