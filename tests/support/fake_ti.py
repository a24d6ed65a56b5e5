"""A stand-in for `context["ti"]` when a test calls an operator's `execute` directly."""

from __future__ import annotations


class FakeTaskInstance:
    """Just what the Databricks operators touch on `context["ti"]`: XCom pushes (kept for assertions) and stats
    tags."""

    def __init__(self):
        self.xcom: dict[str, object] = {}
        self.stats_tags: dict[str, str] = {}

    def xcom_push(self, key, value, **_):
        self.xcom[key] = value
