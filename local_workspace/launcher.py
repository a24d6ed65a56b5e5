"""Start a local workspace as a subprocess (tests, `make demo`, benchmarks) and wait until it answers."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


class WorkspaceStartError(RuntimeError):
    """The server exited or did not answer /health in time; the message carries the log tail."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _log_tail(log_path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class RunningWorkspace:
    url: str
    host: str
    port: int
    token: str
    user: str
    data_dir: Path
    process: subprocess.Popen
    # How it was started, so restart() can start it again identically.
    _argv: list[str] = field(default_factory=list, repr=False)
    _env: dict[str, str] = field(default_factory=dict, repr=False)
    _timeout: float = field(default=120.0, repr=False)

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def client_env(self) -> dict[str, str]:
        """Environment for databricks-sdk, the Databricks provider and MLflow's `databricks` URIs."""
        return {
            "DATABRICKS_HOST": self.url,
            "DATABRICKS_TOKEN": self.token,
            "MLFLOW_TRACKING_URI": "databricks",
            "MLFLOW_REGISTRY_URI": "databricks",
        }

    def airflow_connection_json(self) -> str:
        """`AIRFLOW_CONN_DATABRICKS_DEFAULT` value: the provider builds `{schema}://{host}:{port}/api/...`."""
        return json.dumps(
            {"conn_type": "databricks", "host": self.host, "port": self.port, "schema": "http", "password": self.token}
        )

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the server's process group, then SIGKILL what is left; safe to call twice."""
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(10)
        # Workers or notebook processes left in the group after the parent exited.
        _signal_group(self.process, signal.SIGKILL)

    def restart(self) -> RunningWorkspace:
        """Stop and start again on the same data dir, port and token; returns the new handle."""
        self.stop()
        return dataclasses.replace(self, process=_spawn(self._argv, self._env, self.data_dir, self.url, self._timeout))

    def __enter__(self) -> RunningWorkspace:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _wait_healthy(process: subprocess.Popen, url: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise WorkspaceStartError(
                f"local workspace exited with code {process.returncode} before answering {url}/health.\n"
                f"--- {log_path} (tail) ---\n{_log_tail(log_path)}"
            )
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    _signal_group(process, signal.SIGKILL)
    raise WorkspaceStartError(
        f"local workspace did not answer {url}/health within {timeout:.0f}s.\n"
        f"--- {log_path} (tail) ---\n{_log_tail(log_path)}"
    )


def _spawn(argv: list[str], env: dict[str, str], data_dir: Path, url: str, timeout: float) -> subprocess.Popen:
    """Start the server in its own process group and wait until it answers /health."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "server.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
    _wait_healthy(process, url, log_path, timeout)
    return process


TOKEN_FILE_NAME = "token"


def write_token_file(path: Path, token: str) -> Path:
    """Write `token` to `path`, readable by the owner only (mode 600 from creation on)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)  # an existing file keeps its mode through O_CREAT
        f.write(token + "\n")
    return path


def start_workspace(
    data_dir,
    *,
    port: int | None = None,
    token: str | None = None,
    host: str = "127.0.0.1",
    workspace_dir=None,
    workers: int = 1,
    max_concurrent_runs: int = 2,
    users_file=None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 120.0,
    user: str | None = None,
) -> RunningWorkspace:
    """Run `python -m local_workspace serve` in its own process group, logging to `<data_dir>/server.log`."""
    from local_workspace.config import DEFAULT_USER

    data_dir = Path(data_dir).resolve()
    port = port or free_port(host)
    token = token or secrets.token_urlsafe(24)
    user = user or DEFAULT_USER
    argv = [
        sys.executable,
        "-m",
        "local_workspace",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--workers",
        str(workers),
        "--max-concurrent-runs",
        str(max_concurrent_runs),
        "--user",
        user,
    ]
    if workspace_dir is not None:
        argv += ["--workspace-dir", str(Path(workspace_dir).resolve())]
    if users_file is not None:
        argv += ["--users-file", str(Path(users_file).resolve())]
    # The token travels in a file only its owner can read, not argv: argv is visible to every local user in `ps`.
    argv += ["--token-file", str(write_token_file(data_dir / TOKEN_FILE_NAME, token))]
    env = {**os.environ, **(extra_env or {}), "PYTHONUNBUFFERED": "1"}
    for name in ("LOCAL_WORKSPACE_TOKEN", "LOCAL_WORKSPACE_TOKEN_FILE"):
        env.pop(name, None)
    url = f"http://{host}:{port}"
    process = _spawn(argv, env, data_dir, url, timeout)
    return RunningWorkspace(url, host, port, token, user, data_dir, process, argv, env, timeout)
