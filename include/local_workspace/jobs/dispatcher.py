"""The run dispatcher: a background thread of the serve process that starts queued runs.

State lives in the database (HTTP workers in other processes insert runs and set cancel flags); this thread
claims QUEUED runs up to `max_concurrent_runs`, executes each in its own thread (`RunExecutor`), and on start
ends the runs a previous server process left active, so no run stays RUNNING forever.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from local_workspace.config import WorkspaceConfig
from local_workspace.db import init_db, session_scope
from local_workspace.jobs import models
from local_workspace.jobs.executor import RunExecutor, kill_process_group

log = logging.getLogger(__name__)

RESTART_MESSAGE = ("The local workspace restarted while this run was active; the run was stopped and did not "
                   "complete. Submit it again.")


class Dispatcher:
    def __init__(self, config: WorkspaceConfig, poll_interval: float = 0.2):
        self.config = config
        self.poll_interval = poll_interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._executors: dict[int, threading.Thread] = {}

    def start(self) -> None:
        if self._thread is not None:
            return
        init_db(self.config.db_path)
        self.recover_interrupted_runs()
        self._thread = threading.Thread(target=self._loop, name="local-workspace-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop scheduling; running notebooks are killed and their runs end as INTERNAL_ERROR."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for thread in list(self._executors.values()):
            thread.join(timeout)
        self._thread = None

    def recover_interrupted_runs(self) -> int:
        """End runs a previous server process left PENDING/RUNNING/TERMINATING (and kill their notebooks)."""
        with session_scope(self.config.db_path) as session:
            rows = models.unfinished_runs(session)
            for row in rows:
                if row.pid and _is_our_runner(row.pid):
                    kill_process_group(row.pid)
                row.finish("INTERNAL_ERROR", "FAILED", RESTART_MESSAGE, "INTERNAL_ERROR", "INTERNAL_ERROR")
            if rows:
                log.warning("Ended %d run(s) interrupted by a server restart.", len(rows))
            return len(rows)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._schedule()
            except Exception:  # noqa: BLE001 - a transient DB error must not kill the scheduler
                log.exception("run dispatcher iteration failed")
            self._stopping.wait(self.poll_interval)

    def _schedule(self) -> None:
        self._executors = {rid: t for rid, t in self._executors.items() if t.is_alive()}
        with session_scope(self.config.db_path) as session:
            free = self.config.max_concurrent_runs - max(models.count_active_runs(session), len(self._executors))
            if free <= 0:
                return
            claimed = [rid for rid in models.queued_run_ids(session, free) if models.claim_queued_run(session, rid)]
        for run_id in claimed:
            executor = RunExecutor(self.config, run_id, self._stopping)
            thread = threading.Thread(target=executor.execute, name=f"local-workspace-run-{run_id}", daemon=True)
            self._executors[run_id] = thread
            thread.start()


def _is_our_runner(pid: int) -> bool:
    """Only kill a leftover pid if it still is a notebook runner (pids get reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"local_workspace.runner" in cmdline
