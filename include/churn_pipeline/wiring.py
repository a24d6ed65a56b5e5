"""What both churn DAG files share besides params: the connection, DAG defaults, typed XCom lookups."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import XComArg
from airflow.sdk.definitions.xcom_arg import PlainXComArg

from churn_pipeline.notifications import failure_notifier

DATABRICKS_CONN_ID = "databricks_default"


def dag_defaults(retry_delay: timedelta) -> dict[str, Any]:
    """Start date, no catchup, one run at a time, two retries with back-off, the failure notifier."""
    return {
        "start_date": datetime(2026, 1, 1),
        "catchup": False,
        "max_active_runs": 1,
        "default_args": {
            "owner": "ml-platform",
            "retries": 2,
            "retry_delay": retry_delay,
            "retry_exponential_backoff": True,
            "on_failure_callback": [failure_notifier()],
        },
    }


def xcom(output: XComArg, key: str) -> Any:
    """`output[key]`: the XCom `key` of a task (or one value of a `multiple_outputs` task), resolved at run time.

    Typed `Any` because it stands in for whatever value the task pushes (operators' templated arguments are
    annotated with their rendered types). `.output` and `@task` calls are annotated with the base `XComArg`, which
    has no `[]`, although the object they return has."""
    if not isinstance(output, PlainXComArg):
        raise TypeError(f"{output!r} is not one task's XCom: it has no keys")
    return output[key]
