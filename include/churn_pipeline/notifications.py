"""Failure notifications for the churn DAGs: log by default, any Airflow notifier when configured.

`CHURN_FAILURE_NOTIFIER=package.module:factory` names a callable returning an Airflow notifier (or any callable
taking the context), e.g. a function that builds `SlackNotifier(slack_conn_id=..., text=...)` or
`SmtpNotifier(to=...)` from the Slack/SMTP providers. It is imported only when a failure happens, so DAG parsing
never pays for it and a broken setting cannot break parsing.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from airflow.sdk import BaseNotifier

NOTIFIER_ENV = "CHURN_FAILURE_NOTIFIER"


def failure_summary(context: Any) -> str:
    """One line naming what failed; only ids and the exception text (never connection details)."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    where = f"{dag_id}.{getattr(ti, 'task_id', '?')}"
    map_index = getattr(ti, "map_index", -1)
    if map_index is not None and map_index >= 0:
        where += f"[{map_index}]"
    error = context.get("exception")
    return (
        f"Churn pipeline failure: {where} run {context.get('run_id', '?')} "
        f"try {getattr(ti, 'try_number', '?')}: {error or 'failed'}"
    )


def _load_delegate(spec: str) -> Callable[[Any], Any]:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"{NOTIFIER_ENV} must look like 'package.module:factory', got {spec!r}")
    factory = getattr(importlib.import_module(module_name), attr)
    delegate = factory() if not isinstance(factory, BaseNotifier) else factory
    if not callable(delegate):
        raise ValueError(f"{spec} did not return a notifier or callable")
    return delegate


class FailureNotifier(BaseNotifier):
    """Logs the failure, then hands the context to the notifier named by $CHURN_FAILURE_NOTIFIER (if set)."""

    def __init__(self, delegate_spec: str | None = None):
        super().__init__()
        self.delegate_spec = delegate_spec

    def notify(self, context: Any) -> None:
        self.log.error("%s", failure_summary(context))
        spec = self.delegate_spec or os.environ.get(NOTIFIER_ENV)
        if not spec:
            return
        try:
            _load_delegate(spec)(context)
        except Exception as exc:  # noqa: BLE001 - a broken notifier must not hide the original failure
            self.log.error("Notifier %s failed: %s", spec, exc)


def failure_notifier() -> FailureNotifier:
    return FailureNotifier()
