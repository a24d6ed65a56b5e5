"""The few parts of an Airflow task context the registry operators use (ti identity, XCom push, reschedule date)."""

from __future__ import annotations

from typing import Any


class FakeTaskInstance:
    def __init__(
        self, dag_id: str = "promotion", run_id: str = "manual__1", task_id: str = "task", map_index: int = -1
    ) -> None:
        self.dag_id, self.run_id, self.task_id, self.map_index = dag_id, run_id, task_id, map_index
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value

    def get_first_reschedule_date(self, context: Any) -> None:
        return None


def make_context(**ti_kwargs: Any) -> dict[str, Any]:
    return {"ti": FakeTaskInstance(**ti_kwargs)}
