"""The server's side of the notebook zygote (`local_workspace/runner/zygote.py`): start it on the first notebook
run, ask it to fork a runner per task run, learn each runner's exit code, restart it after it died.

One zygote per server process (the dispatcher lives in the serve process only, whatever the number of HTTP
workers). When it cannot fork a runner (disabled with LOCAL_WORKSPACE_NOTEBOOK_ZYGOTE=0, failed to start,
died), `spawn` returns None and the caller starts a fresh interpreter instead, exactly as before the zygote.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

log = logging.getLogger(__name__)

ENABLED_ENV = "LOCAL_WORKSPACE_NOTEBOOK_ZYGOTE"
# Its imports take ~3 s on an idle machine, far longer on a loaded one.
READY_TIMEOUT_S = 180.0
SPAWN_TIMEOUT_S = 30.0
# After a failed start, runs use fresh interpreters for this long before the zygote is tried again.
RETRY_AFTER_S = 60.0
# Room in the zygote's environment block: a forked runner's command line (with its file paths) is written there.
TITLE_SPACE_ENV = "LOCAL_WORKSPACE_ZYGOTE_TITLE_SPACE"
TITLE_SPACE = 8192


class ForkedRunner:
    """A runner forked by the zygote, with the part of `subprocess.Popen` the executor uses: pid, wait, returncode.

    Its exit code comes from the zygote (its parent); if the zygote dies first, the runner's end is seen from
    its command line going away (as for a runner adopted after a restart) and the code stays unknown (None)."""

    def __init__(self, pid: int, result_file: Path, zygote: Zygote):
        self.pid = pid
        self.args = ["local_workspace.runner", "--result", str(result_file)]
        self.returncode: int | None = None
        self._result_file = result_file
        self._zygote = zygote
        self._exited = threading.Event()

    def _set_exit(self, code: int) -> None:
        self.returncode = code
        self._exited.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        from local_workspace.jobs.runner_process import is_runner_for

        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._exited.wait(0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))):
            if not self._zygote.alive and not is_runner_for(self.pid, self._result_file):
                self._exited.set()  # ended after its zygote died: nobody can tell its exit code
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return self.returncode


class Zygote:
    """One zygote process and the thread that reads what it reports."""

    def __init__(self, env: dict[str, str]):
        ours, theirs = socket.socketpair()
        self._socket = ours
        self._send_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, Future[ForkedRunner]] = {}
        self._runners: dict[int, ForkedRunner] = {}
        self._result_files: dict[int, Path] = {}
        self.ready: Future[int] = Future()
        self.alive = True
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "local_workspace.runner.zygote", "--control-fd", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env={**env, TITLE_SPACE_ENV: "." * TITLE_SPACE},
                cwd="/",
                stdin=subprocess.DEVNULL,
            )
        threading.Thread(target=self._read, name="notebook-zygote-reader", daemon=True).start()

    def spawn(self, args: list[str], env: dict[str, str], cwd: Path, directory: Path) -> ForkedRunner:
        self.ready.result(READY_TIMEOUT_S)
        request_id = next(self._ids)
        reply: Future[ForkedRunner] = Future()
        self._pending[request_id] = reply
        self._result_files[request_id] = directory / "result.json"
        request = {
            "id": request_id,
            "args": args,
            "env": env,
            "cwd": str(cwd),
            "stdout": str(directory / "stdout.log"),
            "stderr": str(directory / "stderr.log"),
        }
        try:
            with self._send_lock:
                self._socket.sendall(json.dumps(request).encode() + b"\n")
            return reply.result(SPAWN_TIMEOUT_S)
        except (OSError, RuntimeError, FutureTimeout):
            self._abandon(directory / "result.json")
            raise

    def _abandon(self, result_file: Path) -> None:
        """The zygote died or hung after it may have forked this request's runner: make sure that runner does not
        run beside the fresh interpreter the caller starts instead. A child checks that its zygote still lives
        after naming itself, so once the zygote is dead, any runner of this task is found by its command line."""
        from local_workspace.jobs.runner_process import find_runner, kill_process_group

        self.alive = False
        self.process.kill()
        self.process.wait()
        orphan = find_runner(None, result_file)
        if orphan is not None:
            kill_process_group(orphan)

    def _read(self) -> None:
        try:
            for line in self._socket.makefile("rb"):
                self._handle(json.loads(line))
        except (OSError, ValueError) as exc:
            log.warning("notebook zygote connection failed: %s", exc)
        self.alive = False
        futures: list[Future] = [self.ready, *self._pending.values()]
        for future in futures:
            if not future.done():
                future.set_exception(RuntimeError("the notebook zygote exited"))
        self.process.wait()

    def _handle(self, message: dict) -> None:
        if "ready" in message:
            self.ready.set_result(message["ready"])
        elif "exited" in message:
            runner = self._runners.pop(message["exited"], None)
            if runner is not None:
                runner._set_exit(message["code"])
        else:
            # Registered here, before the next message is read: it may be this runner's exit.
            runner = ForkedRunner(message["pid"], self._result_files.pop(message["id"]), self)
            self._runners[runner.pid] = runner
            self._pending.pop(message["id"]).set_result(runner)

    def stop(self) -> None:
        """Closing the socket ends the zygote; the runners it forked live on (each in its own session)."""
        self.alive = False
        self._socket.close()
        if not self.ready.done():  # still importing: it would only notice the closed socket once ready
            self.process.kill()


_lock = threading.Lock()
_zygote: Zygote | None = None
_failed_at: float | None = None


def enabled() -> bool:
    return os.environ.get(ENABLED_ENV, "1") != "0"


def spawn_runner(args: list[str], env: dict[str, str], cwd: Path, directory: Path, base_env: dict[str, str]):
    """Fork a runner from the zygote (started with `base_env` if none runs); None: start a fresh interpreter."""
    global _zygote, _failed_at
    if not enabled():
        return None
    with _lock:
        if _zygote is None or not _zygote.alive:
            if _failed_at is not None and time.monotonic() - _failed_at < RETRY_AFTER_S:
                return None
            _zygote = Zygote(base_env)
        zygote = _zygote
    try:
        return zygote.spawn(args, env, cwd, directory)
    except (OSError, RuntimeError, FutureTimeout) as exc:
        log.warning("notebook zygote unavailable (%s): starting a fresh interpreter for this run", exc or type(exc))
        with _lock:
            if not zygote.ready.done() or zygote.ready.exception() is not None:
                _failed_at = time.monotonic()  # it never got ready: do not pay its start again for a while
            zygote.stop()
        return None


def shutdown() -> None:
    global _zygote
    with _lock:
        if _zygote is not None:
            _zygote.stop()
        _zygote = None
