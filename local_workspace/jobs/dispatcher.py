"""The run dispatcher: a background thread of the serve process that starts queued runs.

State lives in the database (HTTP workers in other processes insert runs and set cancel flags); this thread
claims QUEUED runs up to `max_concurrent_runs`, executes each in its own thread (`RunExecutor`), and on start
takes over the runs a previous server process left active (after a crash): a notebook that finished meanwhile
is adopted with its result, one still running is watched to its end, one that died without a result ends
INTERNAL_ERROR, and a run that had not started a notebook yet is queued again. No run stays RUNNING forever.
"""

from __future__ import annotations

import logging
import shutil
import threading

from local_workspace.config import WorkspaceConfig
from local_workspace.db import init_db, session_scope
from local_workspace.jobs import job_limits, models, zygote_client
from local_workspace.jobs.executor import RunExecutor
from local_workspace.jobs.paths import run_dir
from local_workspace.jobs.runner_process import is_any_runner, kill_process_group

log = logging.getLogger(__name__)

QUEUE_LOOKAHEAD = 1000  # queued runs looked at beyond the free slots (runs of jobs at their limit are passed over)
RESTART_MESSAGE = (
    "The local workspace restarted while this run was active; the run was stopped and did not "
    "complete. Submit it again."
)


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
        zygote_client.shutdown()

    def recover_interrupted_runs(self) -> list[int]:
        """Take over runs a previous server process left PENDING/RUNNING/TERMINATING; returns the resumed ids."""
        resumed, requeued, ended = [], 0, 0
        with session_scope(self.config.db_path) as session:
            for row in models.unfinished_runs(session):
                if row.parent_run_id is not None:
                    parent = models.get_run(session, row.parent_run_id)
                    if parent is not None and not parent.is_terminal:
                        continue  # handled with its parent
                    # A task left active under an ended parent: nothing will ever watch it.
                    if row.pid and is_any_runner(row.pid):
                        kill_process_group(row.pid)
                    row.finish("INTERNAL_ERROR", "FAILED", RESTART_MESSAGE, "INTERNAL_ERROR", "INTERNAL_ERROR")
                    ended += 1
                    continue
                tasks = models.tasks_of(session, row.run_id)
                if row.life_cycle_state == "PENDING" and not any(t.run_dir for t in tasks):
                    models.requeue_run(row, tasks)  # no notebook ran yet: running it again repeats nothing
                    shutil.rmtree(run_dir(self.config, row.run_id), ignore_errors=True)
                    requeued += 1
                else:
                    resumed.append(row.run_id)
        if resumed or requeued or ended:
            log.warning(
                "After a restart: resumed %d run(s) %s, queued %d again, ended %d orphaned task(s).",
                len(resumed),
                resumed,
                requeued,
                ended,
            )
        for run_id in resumed:
            self._start_executor(RunExecutor(self.config, run_id, self._stopping, resume=True))
        return resumed

    def _start_executor(self, executor: RunExecutor) -> None:
        thread = threading.Thread(target=executor.execute, name=f"local-workspace-run-{executor.run_id}", daemon=True)
        self._executors[executor.run_id] = thread
        thread.start()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._schedule()
            except Exception:
                log.exception("run dispatcher iteration failed")
            self._stopping.wait(self.poll_interval)

    def _schedule(self) -> None:
        self._executors = {rid: t for rid, t in self._executors.items() if t.is_alive()}
        with session_scope(self.config.db_path) as session:
            free = self.config.max_concurrent_runs - max(models.count_active_runs(session), len(self._executors))
            if free <= 0:
                return
            claimed: list[int] = []
            # Oldest first; a run of a saved job at its own concurrency limit waits and lets later runs by.
            for run_id in models.queued_run_ids(session, free + QUEUE_LOOKAHEAD):
                if len(claimed) == free:
                    break
                if job_limits.waits_for_its_job(session, models.load_run(session, run_id)):
                    continue
                if models.claim_queued_run(session, run_id):
                    claimed.append(run_id)
        for run_id in claimed:
            self._start_executor(RunExecutor(self.config, run_id, self._stopping))
