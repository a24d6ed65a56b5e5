"""Drive N triggers with Airflow's own `TriggerRunner` (airflow/jobs/triggerer_job_runner.py), the way its `arun`
loop does, minus the supervisor socket: workloads go into `runner.to_create` and `create_triggers()` inflates them
(decrypt kwargs, deserialize, `run_trigger` tasks with the greenback portal, log context and spans); events land in
`runner.events`, which a probe coroutine reads every 50 ms while it measures how late the loop wakes it.

Not a benchmark itself (`make bench` runs `bench_*.py`); bench_triggerer_scale.py imports it.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

PROBE_SLEEP = 0.05


@dataclass
class LoopProbe:
    """Sleeps `PROBE_SLEEP` in a loop; records how much longer than asked each sleep took (the loop's lag)."""

    oversleep_ms: list[float] = field(default_factory=list)
    fired_at: dict[int, float] = field(default_factory=dict)  # trigger id -> wall time its event was seen
    recording: bool = False
    stop: bool = False

    async def run(self, runner: Any) -> None:
        seen = 0
        while not self.stop:
            asked = time.perf_counter()
            await asyncio.sleep(PROBE_SLEEP)
            late = (time.perf_counter() - asked - PROBE_SLEEP) * 1000
            if self.recording:
                self.oversleep_ms.append(late)
            events = list(runner.events)
            for entry in events[seen:]:
                self.fired_at.setdefault(entry.trigger_id, time.time())
            seen = len(events)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0, "samples": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(p95, 1),
        "max": round(ordered[-1], 1),
        "samples": len(ordered),
    }


def workloads_for(triggers: list[Any], first_id: int = 1) -> list[Any]:
    """What the triggerer's supervisor sends its runner: `RunTrigger` with the serialized, encrypted kwargs."""
    from airflow.executors.workloads.trigger import RunTrigger
    from airflow.models.trigger import Trigger

    out = []
    for offset, trigger in enumerate(triggers):
        classpath, kwargs = trigger.serialize()
        out.append(
            RunTrigger(id=first_id + offset, classpath=classpath, encrypted_kwargs=Trigger.encrypt_kwargs(kwargs))
        )
    return out


def new_runner() -> Any:
    """A `TriggerRunner` whose structlog lines (3 per trigger) are formatted as usual but written to /dev/null."""
    import structlog
    from airflow.jobs.triggerer_job_runner import TriggerRunner

    structlog.configure(logger_factory=structlog.WriteLoggerFactory(file=open(os.devnull, "w")))  # noqa: SIM115
    return TriggerRunner()


async def start(runner: Any, workloads: list[Any]) -> None:
    """What `arun` does with the supervisor's `to_create` list."""
    runner.to_create.extend(workloads)
    await runner.create_triggers()


async def stop_all(runner: Any) -> None:
    """Cancel every trigger task (the triggerer's shutdown path) and wait until they are gone."""
    tasks = [details["task"] for details in runner.triggers.values()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await runner.cleanup_finished_triggers()
    runner.events.clear()
    runner.failed_triggers.clear()


class AccessLogCounter:
    """REST calls the workspace served, counted from its own access log (server side, nothing in between)."""

    def __init__(self, log_path: Any) -> None:
        self.log_path = log_path

    def lines(self) -> list[str]:
        """The GET lines: every trigger call is a read (the bench's own version/request writes are POSTs)."""
        with open(self.log_path, errors="replace") as f:
            return [line for line in f if '"GET /api/' in line]

    def snapshot(self) -> int:
        return len(self.lines())

    def since(self, mark: int) -> dict[str, int]:
        new = self.lines()[mark:]
        return {
            "total": len(new),
            "registered_models_get": sum("/registered-models/get " in line for line in new),
            "registered_models_search": sum("/registered-models/search " in line for line in new),
            "transition_requests_list": sum("/transition-requests/list " in line for line in new),
        }
