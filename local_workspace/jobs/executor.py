"""Execute one submitted run: check out git, then run each task's notebook subprocess in dependency order,
enforcing timeouts and cancel requests, and record every outcome in the database."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from graphlib import TopologicalSorter
from pathlib import Path

from local_workspace.config import WorkspaceConfig
from local_workspace.db import session_scope
from local_workspace.jobs import models
from local_workspace.jobs.git_checkout import GitCheckoutError, checkout
from local_workspace.jobs.notebooks import NotebookNotFound, resolve_git_notebook, resolve_workspace_notebook
from local_workspace.jobs.paths import run_dir, task_dir
from local_workspace.jobs.runner_process import (
    find_runner,
    is_runner_for,
    kill_process_group,
    read_result,
    start_runner,
)
from local_workspace.jobs.submit_spec import parse_git_source
from local_workspace.jobs.zygote_client import ForkedRunner

log = logging.getLogger(__name__)

# How often a running notebook is checked for a timeout, and the run for a cancel request (set in the database
# by any HTTP worker); a notebook's exit and a server stop are noticed at once.
POLL_SECONDS = 0.2
CANCEL_CHECK_SECONDS = 0.5
STOPPED_MESSAGE = "The local workspace stopped while this run was active; the run was not completed."
# No final period: the parent's message quotes it as "Task x failed with message: <this>."
RESTART_MESSAGE = (
    "The local workspace restarted while this task was active and its notebook process ended "
    "without a result, so the task did not complete (submit the run again)"
)


def token_for_run(config: WorkspaceConfig, token_sha256: str | None, user: str) -> str | None:
    """The submitter's token (matched by hash), else any token of the same user."""
    if token_sha256:
        for token in config.tokens:
            if hashlib.sha256(token.encode()).hexdigest() == token_sha256:
                return token
    return next((token for token, owner in config.tokens.items() if owner == user), None)


class RunExecutor:
    """Runs one submitted run; with `resume=True` it takes over a run a crashed server process left RUNNING:
    finished tasks keep their outcome, a task whose notebook finished meanwhile adopts its result, a notebook
    still running is watched to its end, and tasks that had not started run now."""

    def __init__(self, config: WorkspaceConfig, run_id: int, stopping: threading.Event, resume: bool = False):
        self.config = config
        self.run_id = run_id
        self.stopping = stopping
        self.resume = resume
        self.deadline: float | None = None
        self.finished: dict[str, str] = {}  # task_key -> result_state of tasks that ended before a restart
        self.started: dict[int, tuple] = {}  # task run id -> (pid, start ms) of notebooks started before it

    def execute(self) -> None:
        try:
            self._execute()
        except Exception as exc:
            log.exception("run %s failed inside the local workspace", self.run_id)
            self._fail_everything("INTERNAL_ERROR", f"Internal error of the local workspace: {exc}", "INTERNAL_ERROR")

    def _execute(self) -> None:
        with session_scope(self.config.db_path) as session:
            parent = models.load_run(session, self.run_id)
            tasks = models.tasks_of(session, self.run_id)
            spec, user, token_hash = parent.spec, parent.creator_user_name, parent.token_sha256
            task_specs = [(t.run_id, t.task_key, t.spec, t.timeout_seconds) for t in tasks]
            if self.resume:  # what the previous server process got done: finished tasks, started notebooks
                self.finished = {
                    t.task_key: t.result_state for t in tasks if t.is_terminal and t.task_key and t.result_state
                }
                self.started = {
                    t.run_id: (t.pid, t.execution_start_time)
                    for t in tasks
                    if t.run_dir and t.life_cycle_state in ("RUNNING", "TERMINATING")
                }
            if parent.timeout_seconds:
                elapsed = max(0, models.now_ms() - parent.start_time) / 1000 if self.resume and parent.start_time else 0
                self.deadline = time.monotonic() + parent.timeout_seconds - elapsed
            run_timeout = parent.timeout_seconds
        token = token_for_run(self.config, token_hash, user)
        directory = run_dir(self.config, self.run_id)
        directory.mkdir(parents=True, exist_ok=True)
        if self.resume:
            checkout_dir = directory / "repo" if (directory / "repo").is_dir() else None
            self._run_task_graph(task_specs, token, checkout_dir, run_timeout)
            self._finish_parent()
            return

        checkout_dir = None
        if spec.get("git_source") and any(
            s.get("notebook_task", {}).get("source") == "GIT" for _, _, s, _ in task_specs
        ):
            checkout_dir = directory / "repo"
            try:
                commit = checkout(parse_git_source(spec["git_source"]), checkout_dir)
            except GitCheckoutError as exc:
                self._fail_everything("INTERNAL_ERROR", str(exc), "REPOSITORY_CHECKOUT_FAILED", "CLIENT_ERROR")
                return
            with session_scope(self.config.db_path) as session:
                for row in [models.load_run(session, self.run_id), *models.tasks_of(session, self.run_id)]:
                    row.used_commit = commit

        with session_scope(self.config.db_path) as session:
            parent = models.load_run(session, self.run_id)
            if parent.is_terminal:
                return
            parent.mark_running()

        self._run_task_graph(task_specs, token, checkout_dir, run_timeout)
        self._finish_parent()

    def _run_task_graph(self, task_specs: list, token: str | None, checkout_dir: Path | None, run_timeout: int) -> None:
        """Start every task whose upstream tasks have ended, so independent tasks run side by side (as on
        Databricks); a task whose upstream did not succeed is skipped when its turn comes."""
        outcomes: dict[str, str] = dict(self.finished)
        by_key = {key: (task_run_id, key, spec, timeout) for task_run_id, key, spec, timeout in task_specs}
        upstream = {key: [d["task_key"] for d in spec.get("depends_on") or []] for _, key, spec, _ in task_specs}
        with session_scope(self.config.db_path) as session:
            waiting = {by_key[key][0]: deps for key, deps in upstream.items() if deps}
            models.block_tasks(session, list(waiting), waiting)
        graph = TopologicalSorter(upstream)  # the order was checked acyclic when the run was submitted
        graph.prepare()
        position = {key: index for index, key in enumerate(by_key)}

        def run(task_run_id: int, key: str, spec: dict, timeout: int) -> str:
            try:
                if task_run_id in self.started:
                    return self._adopt_task(task_run_id, timeout, run_timeout)
                return self._run_task(task_run_id, key, spec, timeout, outcomes, token, checkout_dir, run_timeout)
            except Exception as exc:
                log.exception("task %s of run %s failed inside the local workspace", key, self.run_id)
                message = f"Internal error of the local workspace: {exc}"
                return self._finish_task(task_run_id, "INTERNAL_ERROR", "FAILED", message, "INTERNAL_ERROR")

        with ThreadPoolExecutor(max_workers=len(by_key), thread_name_prefix=f"run-{self.run_id}") as pool:
            running: dict[Future[str], str] = {}
            while graph.is_active():
                for key in sorted(graph.get_ready(), key=position.__getitem__):
                    if key in outcomes:  # ended before a restart
                        graph.done(key)
                    else:
                        running[pool.submit(run, *by_key[key])] = key
                if not running:
                    continue  # tasks that ended before a restart unblocked others: take those now
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    key = running.pop(future)
                    outcomes[key] = future.result()
                    graph.done(key)

    def _run_task(
        self,
        task_run_id: int,
        key: str,
        spec: dict,
        timeout: int,
        outcomes: dict[str, str],
        token: str | None,
        checkout_dir: Path | None,
        run_timeout: int,
    ) -> str:
        upstream = [dep["task_key"] for dep in spec.get("depends_on") or []]
        not_ok = [dep for dep in upstream if outcomes.get(dep) != "SUCCESS"]
        if self.stopping.is_set():
            return self._interrupted(task_run_id, STOPPED_MESSAGE)
        if self._cancel_requested():
            return self._finish_task(task_run_id, "TERMINATED", "CANCELED", "Run cancelled.")
        if self._timed_out():
            return self._finish_task(
                task_run_id, "TERMINATED", "TIMEDOUT", f"Run timed out after {run_timeout} seconds."
            )
        if not_ok:
            cancelled = all(outcomes.get(dep) in ("CANCELED", "TIMEDOUT", "UPSTREAM_CANCELED") for dep in not_ok)
            result = "UPSTREAM_CANCELED" if cancelled else "UPSTREAM_FAILED"
            return self._finish_task(
                task_run_id,
                "SKIPPED",
                result,
                f"Upstream task(s) {', '.join(not_ok)} did not succeed; this task was skipped.",
            )
        notebook = spec["notebook_task"]
        try:
            if notebook.get("source") == "GIT":
                path = resolve_git_notebook(checkout_dir, notebook["notebook_path"])
            else:
                path = resolve_workspace_notebook(self._workspace_dir(), notebook["notebook_path"])
        except NotebookNotFound as exc:
            return self._finish_task(
                task_run_id, "INTERNAL_ERROR", "FAILED", str(exc), "RESOURCE_NOT_FOUND", "CLIENT_ERROR"
            )
        return self._run_notebook(
            task_run_id, key, path, notebook.get("base_parameters") or {}, timeout, token, checkout_dir, run_timeout
        )

    def _run_notebook(
        self,
        task_run_id: int,
        key: str,
        notebook: Path,
        parameters: dict,
        timeout: int,
        token: str | None,
        checkout_dir: Path | None,
        run_timeout: int,
    ) -> str:
        directory = task_dir(self.config, self.run_id, task_run_id)
        with session_scope(self.config.db_path) as session:
            task = models.load_run(session, task_run_id)
            task.mark_running()
            task.run_dir = str(directory)
        process = start_runner(
            self.config,
            notebook,
            parameters,
            directory,
            workspace_dir=self._workspace_dir(),
            task_values_dir=run_dir(self.config, self.run_id) / "task_values",
            task_key=key,
            checkout_dir=checkout_dir,
            token=token,
        )
        with session_scope(self.config.db_path) as session:
            models.load_run(session, task_run_id).pid = process.pid

        deadline = time.monotonic() + timeout if timeout else None
        reason = self._watch(lambda seconds: _exited(process, seconds), process.pid, deadline, process.wait)
        result_file = directory / "result.json"
        return self._outcome(task_run_id, reason, result_file, process.returncode, directory, timeout, run_timeout)

    def _adopt_task(self, task_run_id: int, timeout: int, run_timeout: int) -> str:
        """A task a crashed server process started: adopt the result its notebook wrote, or watch the notebook
        if it still runs, or end the task as interrupted if it died without a result."""
        pid, started_ms = self.started[task_run_id]
        directory = task_dir(self.config, self.run_id, task_run_id)
        result_file = directory / "result.json"
        runner = find_runner(pid, result_file)
        if runner is None and read_result(result_file) is None:
            return self._interrupted(task_run_id, RESTART_MESSAGE)
        reason = None
        if runner is not None:
            log.warning(
                "run %s: watching task run %s's notebook (pid %s) left by the previous server process",
                self.run_id,
                task_run_id,
                runner,
            )
            with session_scope(self.config.db_path) as session:
                models.load_run(session, task_run_id).pid = runner
            elapsed = max(0, models.now_ms() - (started_ms or models.now_ms())) / 1000
            deadline = time.monotonic() + timeout - elapsed if timeout else None

            def ended(seconds: float) -> bool:
                if not is_runner_for(runner, result_file):
                    return True
                self.stopping.wait(seconds)  # not our child: nothing to wait on but its command line
                return False

            reason = self._watch(ended, runner, deadline, lambda: None)
        return self._outcome(task_run_id, reason, result_file, None, directory, timeout, run_timeout)

    def _outcome(
        self,
        task_run_id: int,
        reason: str | None,
        result_file: Path,
        returncode: int | None,
        directory: Path,
        timeout: int,
        run_timeout: int,
    ) -> str:
        if reason == "CANCELED":
            return self._finish_task(task_run_id, "TERMINATED", "CANCELED", "Run cancelled.")
        if reason == "TIMEDOUT":
            limit = timeout if timeout and (not run_timeout or timeout <= run_timeout) else run_timeout
            return self._finish_task(task_run_id, "TERMINATED", "TIMEDOUT", f"Run timed out after {limit} seconds.")
        if reason == "STOPPED":
            return self._interrupted(task_run_id, STOPPED_MESSAGE)
        return self._record_result(task_run_id, result_file, returncode, directory)

    def _watch(
        self, ended: Callable[[float], bool], pid: int, task_deadline: float | None, reap: Callable[[], object]
    ) -> str | None:
        """Wait until `ended(seconds)` (which waits up to that long); kill the notebook's process group on stop,
        timeout or cancel and return why."""
        last_cancel_check = 0.0
        while not ended(POLL_SECONDS):
            now = time.monotonic()
            reason = None
            if self.stopping.is_set():
                reason = "STOPPED"
            elif (task_deadline and now >= task_deadline) or self._timed_out():
                reason = "TIMEDOUT"
            elif now - last_cancel_check >= CANCEL_CHECK_SECONDS:
                last_cancel_check = now
                if self._cancel_requested():
                    reason = "CANCELED"
            if reason:
                kill_process_group(pid)
                reap()
                return reason
        return None

    def _record_result(self, task_run_id: int, result_file: Path, returncode: int | None, directory: Path) -> str:
        outcome = read_result(result_file)
        with session_scope(self.config.db_path) as session:
            task = models.load_run(session, task_run_id)
            if outcome and outcome.get("status") == "SUCCESS":
                task.result_text = outcome.get("result")
                task.result_truncated = bool(outcome.get("truncated"))
                task.finish("TERMINATED", "SUCCESS", "")
                return "SUCCESS"
            if outcome:
                task.error, task.error_trace = outcome.get("error"), outcome.get("error_trace")
            else:
                code = f" with code {returncode}" if returncode is not None else ""
                task.error = f"The notebook process exited{code} without a result."
                stderr = directory / "stderr.log"
                task.error_trace = stderr.read_text(errors="replace")[-20000:] if stderr.is_file() else None
            task.finish("TERMINATED", "FAILED", f"Workload failed, see run output for details: {task.error}")
            return "FAILED"

    def _finish_task(
        self,
        task_run_id: int,
        life_cycle: str,
        result: str,
        message: str,
        code: str | None = None,
        kind: str | None = None,
    ) -> str:
        with session_scope(self.config.db_path) as session:
            models.load_run(session, task_run_id).finish(life_cycle, result, message, code, kind)
        return result

    def _interrupted(self, task_run_id: int, message: str) -> str:
        """The task could not complete because the server stopped or restarted (not the notebook's fault)."""
        return self._finish_task(task_run_id, "INTERNAL_ERROR", "FAILED", message, "INTERNAL_ERROR", "INTERNAL_ERROR")

    def _finish_parent(self) -> None:
        with session_scope(self.config.db_path) as session:
            parent = models.load_run(session, self.run_id)
            tasks = models.tasks_of(session, self.run_id)
            results = [t.result_state for t in tasks]
            if self.stopping.is_set() and any(r != "SUCCESS" for r in results):
                parent.finish("INTERNAL_ERROR", "FAILED", STOPPED_MESSAGE, "INTERNAL_ERROR", "INTERNAL_ERROR")
                return
            if all(r == "SUCCESS" for r in results):
                parent.finish("TERMINATED", "SUCCESS", "")
                return
            for result in ("CANCELED", "TIMEDOUT"):
                if result in results:
                    first = next(t for t in tasks if t.result_state == result)
                    parent.finish("TERMINATED", result, first.state_message)
                    return
            failed = [t for t in tasks if t.result_state == "FAILED"]
            message = " ".join(f"Task {t.task_key} failed with message: {t.state_message}." for t in failed)
            if any(t.life_cycle_state == "SKIPPED" for t in tasks):
                message += " This caused all downstream tasks to get skipped."
            setup_failure = failed and all(t.life_cycle_state == "INTERNAL_ERROR" for t in failed)
            code, kind = (failed[0].termination_code, failed[0].termination_type) if setup_failure else (None, None)
            parent.finish("INTERNAL_ERROR" if setup_failure else "TERMINATED", "FAILED", message.strip(), code, kind)

    def _fail_everything(self, life_cycle: str, message: str, code: str, kind: str = "INTERNAL_ERROR") -> None:
        with session_scope(self.config.db_path) as session:
            for row in [models.load_run(session, self.run_id), *models.tasks_of(session, self.run_id)]:
                if row.pid:
                    kill_process_group(row.pid)
                row.finish(life_cycle, "FAILED", message, code, kind)

    def _cancel_requested(self) -> bool:
        with session_scope(self.config.db_path) as session:
            return bool(models.load_run(session, self.run_id).cancel_requested)

    def _timed_out(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def _workspace_dir(self) -> Path:
        return self.config.workspace_dir or (self.config.data_dir / "workspace")


def _exited(process: subprocess.Popen | ForkedRunner, seconds: float) -> bool:
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True
