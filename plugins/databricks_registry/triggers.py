"""`TransitionRequestTrigger`: waits in the triggerer until a model has open transition requests to a stage."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from databricks_registry.entities import RegisteredModel, normalize_model_name, normalize_stage
from databricks_registry.errors import RegistryError, RegistryResourceNotFound, RegistryUnavailable
from databricks_registry.hooks import ModelRegistryHook, RegistryHookMixin
from databricks_registry.sweep import sweep_for
from databricks_registry.watch import VersionWatch, a_detect


class _RoundReads:
    """What a poke reads through in a sweep round: the model from the round, every other read from the trigger's
    own hook (`a_detect` asks for `a_get_registered_model` first, then lists the candidate versions' requests)."""

    def __init__(self, hook: ModelRegistryHook, model: RegisteredModel | None) -> None:
        self.hook, self.model = hook, model

    async def a_get_registered_model(self, name: str) -> RegisteredModel:
        if self.model is None:
            raise RegistryResourceNotFound(f"Registered model {name!r} does not exist")
        return self.model

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hook, name)


class TransitionRequestTrigger(RegistryHookMixin, BaseTrigger):
    """Poll the registry every `poke_interval` seconds; fire once with every pending request found.

    Triggers of one connection and poke interval in one triggerer poll together: one shared sweep per interval
    reads every waiting model's latest versions (`databricks_registry.sweep`: at most one call per waiting model,
    one search page for up to 1,000 models); each trigger then lists the requests of its own new versions.

    Event payloads: `{"status": "success", "events": [event dict, ...]}` or
    `{"status": "error", "error_type": ..., "message": ...}` — after `max_consecutive_errors` transient failures
    in a row (each call already retried by the hook), or at once for errors retrying cannot fix (auth, permission).

    :param watch: `VersionWatch.to_dict()` state, so a sensor that already looked back continues from its watermark.
    :param end_time: epoch seconds after which the trigger fires `{"status": "timeout", ...}`. The sensor's
        timeout is enforced here too, not only by the scheduler: `dag.test()` runs triggers inline and would
        otherwise wait forever on a model with nothing pending.
    """

    def __init__(
        self,
        model_name: str,
        to_stage: str = "Staging",
        databricks_conn_id: str = ModelRegistryHook.default_conn_name,
        poke_interval: float = 60.0,
        watch: dict[str, Any] | None = None,
        max_consecutive_errors: int = 3,
        retry_limit: int = 3,
        retry_delay: float = 1.0,
        end_time: float | None = None,
    ) -> None:
        super().__init__()
        self.model_name = normalize_model_name(model_name)
        self.to_stage = normalize_stage(to_stage)
        self.databricks_conn_id = databricks_conn_id
        self.poke_interval = float(poke_interval)
        self.watch = VersionWatch.from_dict(watch or {})
        if max_consecutive_errors < 1:
            raise ValueError("max_consecutive_errors must be >= 1")
        self.max_consecutive_errors = max_consecutive_errors
        self.retry_limit = retry_limit
        self.databricks_retry_delay = retry_delay
        self.end_time = end_time

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "model_name": self.model_name,
                "to_stage": self.to_stage,
                "databricks_conn_id": self.databricks_conn_id,
                "poke_interval": self.poke_interval,
                "watch": self.watch.to_dict(),
                "max_consecutive_errors": self.max_consecutive_errors,
                "retry_limit": self.retry_limit,
                "retry_delay": self.databricks_retry_delay,
                "end_time": self.end_time,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        yield await self._wait()

    async def _wait(self) -> TriggerEvent:
        """Poke once per round of the shared sweep (`databricks_registry.sweep`) until there is an event to fire."""
        sweep = sweep_for(self.databricks_conn_id, self.poke_interval, self._sweep_hook)
        sweep.join(self.model_name)
        errors_in_a_row = 0
        try:
            async with self.hook as hook:
                while True:
                    try:
                        model = await sweep.next_model(self.model_name)
                        reads = _RoundReads(hook, model)
                        result = await a_detect(reads, self.model_name, self.to_stage, self.watch, time.time())
                    except RegistryUnavailable as e:
                        errors_in_a_row += 1
                        self.log.warning(
                            "Registry unavailable (%s/%s): %s", errors_in_a_row, self.max_consecutive_errors, e
                        )
                        if errors_in_a_row >= self.max_consecutive_errors:
                            return self._error(e, f"gave up after {errors_in_a_row} failed polls in a row")
                        continue
                    except RegistryError as e:
                        return self._error(e, "not retryable")
                    errors_in_a_row = 0
                    if result.events:
                        return self._event("success", events=[event.to_dict() for event in result.events])
                    if not result.model_exists:
                        self.log.info("Registered model %r does not exist (yet); waiting.", self.model_name)
                    self.log.debug("No open request to %s; listed versions %s", self.to_stage, result.listed_versions)
                    if self.end_time is not None and time.time() + self.poke_interval > self.end_time:
                        await asyncio.sleep(max(0.0, self.end_time - time.time()))
                        message = (
                            f"No open request to {self.to_stage} for {self.model_name!r} before the sensor's timeout"
                        )
                        return self._event("timeout", message=message)
        finally:
            sweep.leave(self.model_name)

    def _sweep_hook(self) -> ModelRegistryHook:
        """The hook of a sweep this trigger starts: its connection and HTTP retry settings."""
        return ModelRegistryHook(
            self.databricks_conn_id,
            retry_limit=self.retry_limit,
            retry_delay=self.databricks_retry_delay,
            caller="ModelSweep",
        )

    def _event(self, status: str, **payload: Any) -> TriggerEvent:
        return TriggerEvent({"status": status, "model_name": self.model_name, "to_stage": self.to_stage, **payload})

    def _error(self, error: RegistryError, why: str) -> TriggerEvent:
        return TriggerEvent(
            {
                "status": "error",
                "error_type": type(error).__name__,
                "http_status_code": error.http_status_code,
                "error_code": error.error_code,
                "message": f"Watching transition requests of {self.model_name!r} to {self.to_stage} failed ({why}): "
                f"{error}",
            }
        )
