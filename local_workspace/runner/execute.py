"""Run a parsed notebook in one namespace, the way a Databricks notebook job does."""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from local_workspace.runner.dbutils import DBUtils, NotebookExit
from local_workspace.runner.parser import Cell, NotebookSyntaxError, parse_notebook, resolve_notebook_file
from local_workspace.runner.redact import Redactor

MAX_RESULT_BYTES = 5 * 1024 * 1024  # Databricks returns the first 5 MB of the exit value
MAX_RUN_DEPTH = 20


@dataclass
class NotebookOutcome:
    status: str  # SUCCESS or FAILED
    result: str | None = None
    truncated: bool = False
    error: str | None = None
    error_trace: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class UnsupportedMagic(Exception):
    pass


def display(*objects: object) -> None:
    """Databricks renders tables and plots; locally a text rendering in the logs is what we can offer."""
    for obj in objects:
        to_string = getattr(obj, "to_string", None)
        print(to_string(max_rows=50) if callable(to_string) else repr(obj))


def displayHTML(html: str) -> None:
    print(html)


class NotebookExecutor:
    def __init__(
        self,
        parameters: dict[str, str],
        secrets_file: Path | None,
        redactor: Redactor,
        workspace_root: Path | None = None,
        task_values_dir: Path | None = None,
        task_key: str | None = None,
    ):
        self.redactor = redactor
        self.workspace_root = workspace_root  # where absolute `%run /Shared/x` paths live
        self.dbutils = DBUtils(parameters, secrets_file, redactor.add, task_values_dir, task_key)
        self.namespace: dict = {
            "__name__": "__main__",
            "__builtins__": __builtins__,
            "dbutils": self.dbutils,
            "spark": None,
            "display": display,
            "displayHTML": displayHTML,
        }
        self._depth = 0

    def run(self, notebook: Path) -> NotebookOutcome:
        try:
            self.run_file(notebook)
        except NotebookExit as done:
            return self._success(done.value)
        except BaseException as exc:  # noqa: BLE001 - any notebook failure becomes the run's error
            if isinstance(exc, KeyboardInterrupt | SystemExit) and not _is_failure_exit(exc):
                return self._success(None)
            return NotebookOutcome(
                status="FAILED",
                error=self.redactor(f"{type(exc).__name__}: {exc}".rstrip(": ").rstrip()),
                error_trace=self.redactor("".join(_notebook_traceback(exc))),
            )
        return self._success(None)

    def run_file(self, notebook: Path) -> None:
        self.namespace["__file__"] = str(notebook)
        for cell in parse_notebook(notebook.read_text()):
            self.run_cell(cell, notebook)

    def run_cell(self, cell: Cell, notebook: Path) -> None:
        if cell.kind == "python":
            # Pad with newlines so traceback line numbers are the notebook file's own line numbers.
            code = compile("\n" * (cell.first_line - 1) + cell.source, str(notebook), "exec")
            exec(code, self.namespace)
        elif cell.kind == "markdown":
            return
        elif cell.kind == "run":
            self._include(cell, notebook)
        elif cell.kind == "pip":
            print(
                f"WARNING: ignored `{cell.source.splitlines()[0]}` (line {cell.first_line}): the local workspace "
                "runs notebooks in its own Python environment; add the package to the project's dependencies.",
                file=sys.stderr,
            )
        else:
            raise UnsupportedMagic(
                f"%{cell.magic} (line {cell.first_line} of {notebook.name}) is not supported by the local "
                "workspace: only Python cells, %python, %md, %run and %pip (ignored) run locally"
            )

    def _include(self, cell: Cell, notebook: Path) -> None:
        """`%run ./other`: run the other notebook in this namespace, like Databricks does."""
        target = self._run_target(cell.run_path, notebook)
        resolved = resolve_notebook_file(target)
        if resolved is None:
            raise NotebookSyntaxError(
                f"%run {cell.run_path} (line {cell.first_line} of {notebook.name}): notebook not found at {target}"
            )
        if self._depth >= MAX_RUN_DEPTH:
            raise NotebookSyntaxError(f"%run nested more than {MAX_RUN_DEPTH} levels deep (a %run cycle?)")
        previous = self.dbutils.widgets.push_parameters(cell.run_args)
        self._depth += 1
        try:
            self.run_file(resolved)
        finally:
            self._depth -= 1
            self.dbutils.widgets.restore_parameters(previous)
            self.namespace["__file__"] = str(notebook)

    def _run_target(self, run_path: str, notebook: Path) -> Path:
        if not run_path.startswith("/"):
            return notebook.parent / run_path
        if self.workspace_root is None:
            raise NotebookSyntaxError(f"%run {run_path}: absolute workspace paths need the runner's --workspace-root")
        relative = run_path.lstrip("/")
        if relative == "Workspace" or relative.startswith("Workspace/"):
            relative = relative[len("Workspace") :].lstrip("/")
        return self.workspace_root / relative

    def _success(self, value: str | None) -> NotebookOutcome:
        if value is None:
            return NotebookOutcome(status="SUCCESS")
        value = self.redactor(value)
        encoded = value.encode()
        truncated = len(encoded) > MAX_RESULT_BYTES
        if truncated:
            value = encoded[:MAX_RESULT_BYTES].decode(errors="ignore")
        return NotebookOutcome(status="SUCCESS", result=value, truncated=truncated)


def _is_failure_exit(exc: BaseException) -> bool:
    return isinstance(exc, KeyboardInterrupt) or (isinstance(exc, SystemExit) and exc.code not in (None, 0))


def _notebook_traceback(exc: BaseException) -> list[str]:
    """The traceback without the runner's own frames: users should see their notebook lines."""
    tb = exc.__traceback__
    runner_dir = os.path.dirname(__file__)
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(runner_dir):
        tb = tb.tb_next
    return traceback.format_exception(type(exc), exc, tb)
