"""The DAGs' schedules, overridable by environment (read when the DAG files are parsed).

`none` (or an empty value) turns a time schedule off: `make airflow` does that so the only runs are the ones a
person triggers and the asset-triggered promotions they cause.
"""

from __future__ import annotations

import os
from typing import Any

OFF = ("", "none", "off")


def _from_env(name: str, default: str) -> str | None:
    value = os.environ.get(name, default).strip()
    return None if value.lower() in OFF else value


def retraining_schedule() -> str | None:
    """`CHURN_RETRAIN_SCHEDULE` (cron or preset), default `@monthly`."""
    return _from_env("CHURN_RETRAIN_SCHEDULE", "@monthly")


def promotion_schedule(assets: Any) -> Any:
    """The transition-request Asset OR the cron `CHURN_PROMOTION_CRON` (default hourly); the Asset alone if off."""
    from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable

    cron = _from_env("CHURN_PROMOTION_CRON", "0 * * * *")
    if cron is None:
        return assets
    return AssetOrTimeSchedule(timetable=CronTriggerTimetable(cron, timezone="UTC"), assets=assets)
