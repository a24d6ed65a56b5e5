"""Triggers for Unity Catalog waits: versions awaiting validation, and a person's approval tag.

Both poll with one `UnityCatalogModelsHook` per trigger every `poke_interval` seconds, running the same sans-IO
poke as their sensor's sync path (`pending.poke_steps`, `approval.approval_steps`). Each fires once:

* `{"status": "success", "model_name": ..., <payload>}` when the poke finds what it waits for;
* `{"status": "timeout", "message": ...}` at `end_time` (epoch seconds; the sensor's timeout, enforced here too
  because `dag.test()` runs triggers inline);
* `{"status": "error", "error_type", "http_status_code", "error_code", "message"}` after `max_consecutive_errors`
  polls in a row failed with the workspace unavailable (each call already retried by the hook), or at once for
  errors retrying cannot fix (auth, permission, a version that does not exist).
"""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from collections.abc import AsyncIterator, Generator
from dataclasses import asdict
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from databricks_registry.errors import RegistryError, RegistryUnavailable
from databricks_registry.unity_catalog.approval import ApprovalRule, approval_steps
from databricks_registry.unity_catalog.entities import normalize_full_name, normalize_uc_version
from databricks_registry.unity_catalog.hook import UnityCatalogHookMixin, UnityCatalogModelsHook
from databricks_registry.unity_catalog.pending import PendingWatch, wait_steps
from databricks_registry.watch import Fetch, a_run_steps


class UcPollTrigger(UnityCatalogHookMixin, BaseTrigger):
    """Poll until `_steps()` returns a payload; subclasses say what to poke (`_steps`) and what to keep (`_state`)."""

    waiting_for = "an event"

    def __init__(
        self,
        full_name: str,
        poke_interval: float = 60.0,
        end_time: float | None = None,
        databricks_conn_id: str = UnityCatalogModelsHook.default_conn_name,
        retry_limit: int = 3,
        retry_delay: float = 1.0,
        max_consecutive_errors: int = 3,
    ) -> None:
        super().__init__()
        if max_consecutive_errors < 1:
            raise ValueError("max_consecutive_errors must be >= 1")
        self.full_name = normalize_full_name(full_name)
        self.poke_interval, self.end_time = float(poke_interval), end_time
        self.databricks_conn_id, self.retry_limit, self.databricks_retry_delay = (
            databricks_conn_id,
            retry_limit,
            retry_delay,
        )
        self.max_consecutive_errors = max_consecutive_errors

    @abstractmethod
    def _steps(self) -> Generator[Fetch, Any, dict[str, Any] | None]:
        """One poll, sans-IO: the calls to make, then the payload (done) or None (poll again)."""

    @abstractmethod
    def _state(self) -> dict[str, Any]:
        """The subclass's own constructor arguments, as `serialize` must return them."""

    def serialize(self) -> tuple[str, dict[str, Any]]:
        common = {
            "full_name": self.full_name,
            "poke_interval": self.poke_interval,
            "end_time": self.end_time,
            "databricks_conn_id": self.databricks_conn_id,
            "retry_limit": self.retry_limit,
            "retry_delay": self.databricks_retry_delay,
            "max_consecutive_errors": self.max_consecutive_errors,
        }
        return f"{type(self).__module__}.{type(self).__qualname__}", {**common, **self._state()}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        yield await self._poll()

    async def _poll(self) -> TriggerEvent:
        failures = 0
        async with self.uc_hook as hook:
            while True:
                try:
                    payload = await a_run_steps(hook, self._steps())
                    failures = 0
                except RegistryUnavailable as error:
                    failures += 1
                    self.log.warning("Workspace unavailable (%s/%s): %s", failures, self.max_consecutive_errors, error)
                    if failures >= self.max_consecutive_errors:
                        return self._failed(error, f"{failures} polls in a row failed")
                    payload = None
                except RegistryError as error:
                    return self._failed(error, "retrying cannot fix this")
                if payload is not None:
                    return TriggerEvent({"status": "success", "model_name": self.full_name, **payload})
                wait = self.poke_interval
                if self.end_time is not None and time.time() + wait > self.end_time:
                    await asyncio.sleep(max(0.0, self.end_time - time.time()))
                    message = f"Still waiting for {self.waiting_for} of {self.full_name!r} at the sensor's timeout"
                    return TriggerEvent({"status": "timeout", "model_name": self.full_name, "message": message})
                await asyncio.sleep(wait)

    def _failed(self, error: RegistryError, why: str) -> TriggerEvent:
        return TriggerEvent(
            {
                "status": "error",
                "model_name": self.full_name,
                "error_type": type(error).__name__,
                "http_status_code": error.http_status_code,
                "error_code": error.error_code,
                "message": f"Waiting for {self.waiting_for} of {self.full_name!r} failed ({why}): {error}",
            }
        )


class PendingValidationTrigger(UcPollTrigger):
    """Fire with `{"events": [event, ...]}` once READY versions tagged `tag_key=tag_value` exist (see `pending`).

    :param watch: `PendingWatch.to_dict()`: what to look for, the look-back, and the versions already settled.
    """

    waiting_for = "versions awaiting validation"

    def __init__(self, full_name: str, watch: dict[str, Any] | None = None, **common: Any) -> None:
        super().__init__(full_name, **common)
        self.watch = PendingWatch.from_dict(watch or {})

    def _state(self) -> dict[str, Any]:
        return {"watch": self.watch.to_dict()}

    def _steps(self) -> Generator[Fetch, Any, dict[str, Any] | None]:
        return wait_steps(self.full_name, self.watch, time.time())


class ApprovalTagTrigger(UcPollTrigger):
    """Fire with the decision (`approval.ApprovalRule.decide`) once the version's approval tag holds one.

    :param version: the model version waiting for approval.
    :param rule: `ApprovalRule` fields (tag_key, approved_value, rejected_value, approver_tag_key).
    """

    waiting_for = "an approval tag"

    def __init__(self, full_name: str, version: int | str, rule: dict[str, Any] | None = None, **common: Any) -> None:
        super().__init__(full_name, **common)
        self.version = normalize_uc_version(version)
        self.rule = ApprovalRule(**(rule or {}))

    def _state(self) -> dict[str, Any]:
        return {"version": self.version, "rule": asdict(self.rule)}

    def _steps(self) -> Generator[Fetch, Any, dict[str, Any] | None]:
        return approval_steps(self.full_name, self.version, self.rule)
