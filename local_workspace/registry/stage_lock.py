"""One lock for every stage write of the workspace, shared by all worker processes and threads.

An exclusive `flock` on a file next to `workspace.db`: the kernel releases it when the holder dies (even by
SIGKILL), so a crashed writer never blocks the others, and holding it does not block other writers of
`workspace.db` (job runs, comments) the way a long `BEGIN IMMEDIATE` would. Re-entrant within one thread, so code
that already holds it can call MLflow's (wrapped) store.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local_workspace.errors import DatabricksApiError

LOCK_FILE_NAME = "registry-stage.lock"
# Holders only run a few short SQLite transactions; waiting longer than this means something is wedged.
WAIT_TIMEOUT_S = 120.0

_held = threading.local()


def held() -> bool:
    """Whether this thread holds the stage lock (its stage writes are already serialized and journaled)."""
    return getattr(_held, "depth", 0) > 0


@contextmanager
def stage_lock(db_path: Path, timeout: float = WAIT_TIMEOUT_S) -> Iterator[None]:
    if held():
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    fd = os.open(db_path.parent / LOCK_FILE_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd, timeout)
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, timeout: float) -> None:
    # Non-blocking attempts with a short back-off, so a wedged holder ends in a clear error, not a hung request.
    deadline, delay = time.monotonic() + timeout, 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise DatabricksApiError(
                    "TEMPORARILY_UNAVAILABLE", "Another stage transition is still in progress; try again."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.02)
