"""The notebook runner as an operating-system process: start it (forked from the zygote or a fresh interpreter),
identify it after a server restart, kill it, read its result.

A runner is identified by its command line, which names the task run's own `result.json`: a pid reused by any
other process (or by the runner of another task) never matches, and a zombie (exited, not reaped) has an empty
command line, so it counts as ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from local_workspace.config import WorkspaceConfig
from local_workspace.jobs import zygote_client
from local_workspace.jobs.zygote_client import ForkedRunner

KILL_GRACE_SECONDS = 3.0
RUNNER_MODULE = "local_workspace.runner"
PROC = Path("/proc")
# Variables of the server process a notebook must not inherit (other users' tokens, server internals).
HIDDEN_ENV_PREFIXES = ("DATABRICKS_", "MLFLOW_", "_MLFLOW_", "AIRFLOW_CONN_", "LOCAL_WORKSPACE_")
KEPT_ENV_PREFIXES = ("LOCAL_WORKSPACE_SECRET_",)


def notebook_env(config: WorkspaceConfig, token: str | None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(HIDDEN_ENV_PREFIXES) or k.startswith(KEPT_ENV_PREFIXES)
    }
    env.update(
        {
            "DATABRICKS_HOST": config.base_url,
            "MLFLOW_TRACKING_URI": "databricks",
            "MLFLOW_REGISTRY_URI": "databricks",
            "LOCAL_WORKSPACE_WAREHOUSE_DIR": str(config.data_dir / "warehouse"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if token:
        env["DATABRICKS_TOKEN"] = token
    return env


def start_runner(
    config: WorkspaceConfig,
    notebook: Path,
    parameters: dict,
    directory: Path,
    *,
    workspace_dir: Path,
    task_values_dir: Path,
    task_key: str,
    checkout_dir: Path | None,
    token: str | None,
) -> subprocess.Popen | ForkedRunner:
    """Start the notebook runner for one task run in its own process group (so it outlives a crashed server and
    is killed as a whole): forked from the notebook zygote (its imports already done), else a fresh
    `python -m local_workspace.runner`. It writes `directory/result.json` and logs beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "params.json").write_text(json.dumps(parameters))
    # --result first: a forked runner's command line may be cut short, and the result file identifies it.
    args = [
        "--result",
        str(directory / "result.json"),
        "--notebook",
        str(notebook),
        "--params",
        str(directory / "params.json"),
        "--secrets-file",
        str(config.secrets_file),
        "--workspace-root",
        str(workspace_dir),
        "--task-values-dir",
        str(task_values_dir),
        "--task-key",
        task_key,
    ]
    if checkout_dir is not None:
        args += ["--sys-path", str(checkout_dir)]
    env = notebook_env(config, token)
    forked = zygote_client.spawn_runner(args, env, notebook.parent, directory, notebook_env(config, None))
    if forked is not None:
        return forked
    with open(directory / "stdout.log", "wb") as out, open(directory / "stderr.log", "wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "local_workspace.runner", *args],
            cwd=notebook.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )


def kill_process_group(pid: int) -> None:
    """SIGTERM the notebook's process group, SIGKILL whatever is left after a grace period."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + KILL_GRACE_SECONDS
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _cmdline(pid: int) -> bytes:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def _has_argument(cmdline: bytes, argument: str) -> bool:
    """`argument` as a whole argument: NUL-separated (an exec'd runner) or space-separated (a forked runner's
    title, one string)."""
    return re.search(rb"(?:^|[\0 ])" + re.escape(argument.encode()) + rb"(?:[\0 ]|$)", cmdline) is not None


def is_runner_for(pid: int, result_file: Path) -> bool:
    """True while `pid` is alive and is the notebook runner writing `result_file`."""
    cmdline = _cmdline(pid)
    return _has_argument(cmdline, RUNNER_MODULE) and _has_argument(cmdline, str(result_file))


def find_runner(pid: int | None, result_file: Path) -> int | None:
    """The live runner of this task run: its recorded pid, else a scan of /proc (the server may have died
    between starting the runner and recording its pid)."""
    if pid and is_runner_for(pid, result_file):
        return pid
    for entry in PROC.iterdir() if PROC.is_dir() else ():
        if entry.name.isdigit() and is_runner_for(int(entry.name), result_file):
            return int(entry.name)
    return None


def is_any_runner(pid: int) -> bool:
    return _has_argument(_cmdline(pid), RUNNER_MODULE)


def read_result(result_file: Path) -> dict | None:
    """The runner's outcome (`{"status": "SUCCESS" | "FAILED", ...}`), or None if it wrote none (or garbage)."""
    try:
        outcome = json.loads(result_file.read_text())
    except (OSError, ValueError):
        return None
    return outcome if isinstance(outcome, dict) and outcome.get("status") in ("SUCCESS", "FAILED") else None
