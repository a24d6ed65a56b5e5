"""Wait on a condition instead of sleeping: every test that needs something to happen first polls for it here."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 180, what: str = "condition", interval: float = 0.2) -> T:
    """Poll until `predicate()` is truthy and return that value; fail naming `what` on timeout.

    The timeout is generous on purpose (CI is a shared 2-core machine); a passing test never waits for it.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last value: {value!r}")
        time.sleep(interval)
