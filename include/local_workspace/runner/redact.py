"""Keep secret values (and the workspace token) out of everything a notebook prints or returns."""

from __future__ import annotations

import io
from typing import TextIO

REDACTED = "[REDACTED]"


class Redactor:
    def __init__(self, initial: list[str] | None = None):
        self._values: set[str] = set()
        for value in initial or []:
            self.add(value)

    def add(self, value: str) -> None:
        # Very short values would redact ordinary text; Databricks redacts any secret, but "1" in logs is noise.
        if value and len(value) >= 4:
            self._values.add(value)

    def __call__(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, REDACTED)
        return text


class RedactingStream(io.TextIOBase):
    """A text stream wrapper that redacts each write before it reaches the log file."""

    def __init__(self, target: TextIO, redactor: Redactor):
        self._target = target
        self._redact = redactor

    def write(self, text: str) -> int:
        self._target.write(self._redact(text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")

    def isatty(self) -> bool:
        return False
