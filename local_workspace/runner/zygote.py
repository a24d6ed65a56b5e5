"""The notebook zygote: a long-lived interpreter that has imported what notebooks import (mlflow, pandas, numpy,
scikit-learn, the runner) and forks one notebook runner per task run, so a run skips the ~3 s of imports.

`python -m local_workspace.runner.zygote --control-fd N`, started by the server (`jobs/zygote_client.py`). It
starts no Python threads (fork copies only the forking thread; OpenBLAS and pyarrow's jemalloc stop and restart
their native threads around fork themselves). Protocol: JSON lines over the control socket.

    server -> zygote  {"id": 1, "args": [runner arguments], "env": {...}, "cwd": ..., "stdout": ..., "stderr": ...}
    zygote -> server  {"ready": pid} once; {"id": 1, "pid": pid} per spawn; {"exited": pid, "code": n} per exit

The forked child becomes exactly what `python -m local_workspace.runner <args>` would be: its own session (so
cancel kills its whole tree), the run's environment only, its working directory, fds 0/1/2 on /dev/null and the
task's log files, sys.argv/sys.path[0] as `-m` sets them, a command line naming its result file (how a restarted
server recognises it), fresh random seeds. It leaves the zygote's loop before it runs the notebook, so the
interpreter's normal shutdown (threads joined, atexit handlers, redaction pipes drained) ends it.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import select
import signal
import socket
import sys
from pathlib import Path

# What notebooks here import (include/churn, the test notebooks): preloading more costs memory in the zygote.
PRELOAD = (
    "numpy",
    "pandas",
    "sklearn",
    "sklearn.pipeline",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.compose",
    "sklearn.preprocessing",
    "mlflow",
    "mlflow.models",
    "local_workspace.runner.execute",  # with its dbutils, parser and redact ("__main__" runs fresh per child)
    "argparse",
)
RUNNER_MODULE = "local_workspace.runner"


def preload() -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    import threading

    import setproctitle

    # Claims the environment block's memory for titles now, while the environment is intact (it relocates the
    # variables themselves); a child that replaced os.environ first would be left with argv's few bytes.
    setproctitle.setproctitle(setproctitle.getproctitle())

    if threading.active_count() != 1:  # fork would copy none of them: a preloaded module broke the design
        raise RuntimeError(f"the zygote must not run Python threads, found {threading.enumerate()}")


def serve(control: socket.socket) -> dict | None:
    """Answer spawn requests until the server closes the control socket (-> None). In a forked child it returns
    that child's request, leaving this loop for good."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_write)
    _send(control, {"ready": os.getpid()})
    buffer = b""
    while True:
        readable, _, _ = select.select([control.fileno(), wake_read], [], [])
        if wake_read in readable:
            os.read(wake_read, 4096)
            _report_exits(control)
        if control.fileno() not in readable:
            continue
        chunk = control.recv(65536)
        if not chunk:
            return None
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            request = {**json.loads(line), "zygote_pid": os.getpid()}
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for fd in (wake_read, wake_write):
                    os.close(fd)
                control.close()
                return request
            _send(control, {"id": request["id"], "pid": pid})


def _report_exits(control: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(control, {"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def _send(control: socket.socket, message: dict) -> None:
    with contextlib.suppress(OSError):  # the server is gone: the loop ends at the next read
        control.sendall(json.dumps(message).encode() + b"\n")


def become_runner(request: dict) -> None:
    """In the forked child: take on the run's process state, then run the runner's `__main__` as `-m` does (its
    `sys.exit` ends this process through the normal interpreter shutdown)."""
    os.setsid()
    args = request["args"]
    named = _name_process(args)
    if os.getppid() != request["zygote_pid"]:
        os._exit(1)  # the zygote died meanwhile, so the server runs this task in a fresh interpreter instead
    _redirect(0, os.devnull, os.O_RDONLY)
    _redirect(1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    _redirect(2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if not named:
        # No room in the command line for the result file: a restarted server could not recognise this run.
        os.execve(sys.executable, [sys.executable, "-m", RUNNER_MODULE, *args], os.environ)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _reseed()
    sys.path[0] = os.getcwd()  # what `python -m` puts first: the working directory at start
    importlib.invalidate_caches()  # files created since the zygote started must be importable
    import runpy

    sys.argv = ["-m", *args]  # runpy replaces argv[0] with the module's file, as `-m` does
    runpy.run_module(RUNNER_MODULE, run_name="__main__", alter_sys=True)


def _redirect(fd: int, path: str, flags: int) -> None:
    opened = os.open(path, flags, 0o644)
    os.dup2(opened, fd)
    os.close(opened)


def _name_process(args: list[str]) -> bool:
    """Show as `python -m local_workspace.runner <args>` in /proc/<pid>/cmdline; False if it did not fit."""
    import setproctitle

    title = " ".join([Path(sys.executable).name, "-m", RUNNER_MODULE, *args])
    setproctitle.setproctitle(title)
    result_file = args[args.index("--result") + 1]
    try:
        cmdline = Path(f"/proc/{os.getpid()}/cmdline").read_bytes()
    except OSError:
        return False
    return f"{RUNNER_MODULE} --result {result_file}".encode() in cmdline


def _reseed() -> None:
    """A fresh interpreter seeds its generators from the OS; forked children would all share the zygote's."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m local_workspace.runner.zygote", description=__doc__)
    parser.add_argument("--control-fd", type=int, required=True, help="the socket the server talks over")
    args = parser.parse_args()
    control = socket.socket(fileno=args.control_fd)
    preload()
    request = serve(control)
    if request is None:
        return 0
    become_runner(request)
    return 0


if __name__ == "__main__":
    sys.exit(main())
