"""Keep secret values (and the workspace token) out of everything a notebook prints or returns.

Output is redacted at the file-descriptor level: fds 1 and 2 of the notebook process point at pipes, and a
thread copies what arrives to the real stdout/stderr files with every known secret replaced. Python's
`print`, `os.write(1, ...)`, C extensions and child processes (which inherit fds 1 and 2) all go through it.
The pipes stay in place until the process exits (`close_at_exit`): non-daemon threads and atexit handlers of the
notebook write after the runner's `main` returned, and must be redacted too.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time

REDACTED = "[REDACTED]"
_REDACTED_BYTES = REDACTED.encode()
_READ_SIZE = 64 * 1024
# How long the process may wait at exit, for all pipes together, for children still holding them open.
EXIT_DRAIN_TIMEOUT_S = 10.0


class Redactor:
    def __init__(self, initial: list[str] | None = None):
        # Replaced, never mutated: the pipe threads read it while the notebook adds revealed secrets.
        self._values: frozenset[str] = frozenset()
        for value in initial or []:
            self.add(value)

    def add(self, value: str) -> None:
        # Very short values would redact ordinary text; Databricks redacts any secret, but "1" in logs is noise.
        if value and len(value) >= 4:
            self._values = self._values | {value}

    def _longest_first(self) -> list[str]:
        return sorted(self._values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._longest_first():
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def redact_bytes(self, data: bytes) -> bytes:
        for value in self._longest_first():
            data = data.replace(value.encode(), _REDACTED_BYTES)
        return data

    def pending_prefix_length(self, data: bytes) -> int:
        """Length of the longest end of `data` that starts a secret: it must wait, the rest may follow later."""
        longest = 0
        for value in self._values:
            secret = value.encode()
            for size in range(min(len(secret) - 1, len(data)), longest, -1):
                if data.endswith(secret[:size]):
                    longest = size
                    break
        return longest


class RedactingPipe:
    """Point file descriptor `fd` at a pipe whose reader writes the redacted bytes to where `fd` pointed before."""

    def __init__(self, fd: int, redactor: Redactor):
        self._fd = fd
        self._redactor = redactor
        self._target = os.dup(fd)
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)  # inheritable: child processes write into the pipe too
        os.close(write_end)
        self._read_end = read_end
        self._thread = threading.Thread(target=self._copy, name=f"redact-fd-{fd}", daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        pending = b""
        while chunk := os.read(self._read_end, _READ_SIZE):
            data = self._redactor.redact_bytes(pending + chunk)
            # A secret split across two reads: hold back its start until the rest arrives.
            keep = self._redactor.pending_prefix_length(data)
            pending = data[len(data) - keep :] if keep else b""
            self._write(data[: len(data) - keep])
        self._write(self._redactor.redact_bytes(pending))
        os.close(self._read_end)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._target, view) :]
        except OSError:
            # The log file is gone (disk full, closed): keep draining the pipe, or the notebook would block on a
            # full pipe forever; its output is lost, never written unredacted.
            pass

    def close(self, timeout: float = EXIT_DRAIN_TIMEOUT_S) -> None:
        """Point `fd` at /dev/null (never back at the raw file) and wait until every writer (also children) has
        closed the pipe.

        A child still running in the background keeps the pipe open: after `timeout` its later output is lost
        rather than written unredacted.
        """
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._fd)
        finally:
            os.close(devnull)
        self._thread.join(max(timeout, 0.0))
        if not self._thread.is_alive():
            os.close(self._target)


def close_pipes(pipes: list[RedactingPipe], timeout: float = EXIT_DRAIN_TIMEOUT_S) -> None:
    """Flush Python's buffers into the pipes, then close them all within one `timeout` in total."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed by the notebook
            stream.flush()
    deadline = time.monotonic() + timeout
    for pipe in pipes:
        pipe.close(deadline - time.monotonic())


def redact_output_fds(redactor: Redactor) -> list[RedactingPipe]:
    """Redirect stdout and stderr (fds 1 and 2) of this process and its future children through `redactor`."""
    return [RedactingPipe(1, redactor), RedactingPipe(2, redactor)]


def redact_output_fds_until_exit(redactor: Redactor) -> list[RedactingPipe]:
    """`redact_output_fds`, closed by the last atexit handler: it runs after the interpreter has joined the
    non-daemon threads and run every atexit handler registered later (the notebook's)."""
    pipes = redact_output_fds(redactor)
    atexit.register(close_pipes, pipes)
    return pipes
