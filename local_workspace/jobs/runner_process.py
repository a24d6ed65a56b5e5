"""The notebook runner as an operating-system process: identify it after a server restart, kill it, read its result.

A runner is identified by its command line, which names the task run's own `result.json`: a pid reused by any
other process (or by the runner of another task) never matches, and a zombie (exited, not reaped) has an empty
command line, so it counts as ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

KILL_GRACE_SECONDS = 3.0
PROC = Path("/proc")


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


def _cmdline(pid: int) -> list[bytes]:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def is_runner_for(pid: int, result_file: Path) -> bool:
    """True while `pid` is alive and is the notebook runner writing `result_file`."""
    cmdline = _cmdline(pid)
    return b"local_workspace.runner" in cmdline and str(result_file).encode() in cmdline


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
    return b"local_workspace.runner" in _cmdline(pid)


def read_result(result_file: Path) -> dict | None:
    """The runner's outcome (`{"status": "SUCCESS" | "FAILED", ...}`), or None if it wrote none (or garbage)."""
    try:
        outcome = json.loads(result_file.read_text())
    except (OSError, ValueError):
        return None
    return outcome if isinstance(outcome, dict) and outcome.get("status") in ("SUCCESS", "FAILED") else None
