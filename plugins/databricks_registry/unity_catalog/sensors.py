"""Sensors for Unity Catalog models: versions awaiting validation, and a person's approval tag on a version.

Both work in `mode="poke"`, `mode="reschedule"` and `deferrable=True` (the wait moves to the triggerer after a
first poke). The sync poke and the trigger run the same sans-IO steps (`pending`, `approval`), so they make the
same calls and find the same things. `timeout` and `soft_fail` behave as for any sensor (the trigger enforces the
timeout too); a trigger error (auth, permission, a missing version, the workspace down for
`max_consecutive_errors` polls) fails the task with the workspace's message.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Generator, Sequence
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from airflow.providers.common.compat.sdk import conf
from airflow.sdk import BaseSensorOperator, PokeReturnValue

from databricks_registry.sensors import parse_versions, success_event
from databricks_registry.unity_catalog.approval import (
    DECISION_KEYS,
    DEFAULT_APPROVAL_TAG,
    DEFAULT_APPROVED_VALUE,
    DEFAULT_APPROVER_TAG,
    DEFAULT_REJECTED_VALUE,
    ApprovalRule,
    approval_steps,
)
from databricks_registry.unity_catalog.entities import normalize_full_name, normalize_uc_version
from databricks_registry.unity_catalog.hook import SEARCH_PAGE_SIZE, UnityCatalogHookMixin, UnityCatalogModelsHook
from databricks_registry.unity_catalog.pending import (
    DEFAULT_LOOKBACK_VERSIONS,
    DEFAULT_TAG_KEY,
    DEFAULT_TAG_VALUE,
    PendingWatch,
    wait_steps,
)
from databricks_registry.unity_catalog.triggers import ApprovalTagTrigger, PendingValidationTrigger, UcPollTrigger
from databricks_registry.watch import Fetch, run_steps


class UcWaitSensor(UnityCatalogHookMixin, BaseSensorOperator):
    """A sensor whose poke is sans-IO steps returning a payload (done) or None (keep waiting); see module doc.

    :param full_name: the model, `catalog.schema.model` (templated).
    :param deferrable: wait in the triggerer (default: `[operators] default_deferrable`).
    :param databricks_conn_id: the Databricks connection.
    :param retry_limit, databricks_retry_delay: HTTP retries per REST call, as for the registry operators.
    :param max_consecutive_errors: deferrable only: polls in a row that may fail with the workspace unavailable.
    """

    ui_color = "#eef7ee"

    def __init__(
        self,
        *,
        full_name: str,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        databricks_conn_id: str = UnityCatalogModelsHook.default_conn_name,
        retry_limit: int = 3,
        databricks_retry_delay: float = 1.0,
        max_consecutive_errors: int = 3,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.full_name, self.deferrable = full_name, deferrable
        self.databricks_conn_id, self.retry_limit = databricks_conn_id, retry_limit
        self.databricks_retry_delay, self.max_consecutive_errors = databricks_retry_delay, max_consecutive_errors

    def _prepare(self) -> None:
        """Check the (templated) arguments; runs before the first poke."""
        self.full_name = normalize_full_name(self.full_name)

    @abstractmethod
    def _steps(self) -> Generator[Fetch, Any, dict[str, Any] | None]:
        """The sans-IO poke: the calls to make, then the payload (done) or None (keep waiting)."""

    @abstractmethod
    def _trigger(self, **common: Any) -> UcPollTrigger:
        """The trigger that waits the same way in the triggerer (`common`: connection, interval, deadline)."""

    @abstractmethod
    def _result(self, payload: dict[str, Any]) -> Any:
        """What the task returns (XCom) for a poke's or the trigger's payload."""

    def poke(self, context: Any) -> PokeReturnValue:
        payload = run_steps(self.uc_hook, self._steps())
        if payload is None:
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=self._result(payload))

    def execute(self, context: Any) -> Any:
        self._prepare()
        if not self.deferrable:
            return super().execute(context)
        first = self.poke(context)
        if first.is_done:
            return first.xcom_value
        trigger = self._trigger(
            full_name=self.full_name,
            poke_interval=self.poke_interval,
            end_time=time.time() + float(self.timeout) if self.timeout else None,
            databricks_conn_id=self.databricks_conn_id,
            retry_limit=self.retry_limit,
            retry_delay=self.databricks_retry_delay,
            max_consecutive_errors=self.max_consecutive_errors,
        )
        timeout = timedelta(seconds=self.timeout) if self.timeout else None
        self.defer(trigger=trigger, method_name="execute_complete", timeout=timeout)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        return self._result(success_event(event, self.soft_fail))


class PendingValidationSensor(UcWaitSensor):
    """Succeed when READY versions of a UC model carry the tag `tag_key=tag_value`; return them (XCom) as events.

    Each event is the test notebook's `event_message` (the registry webhook's shape) for a UC version:
    `{"event": "MODEL_VERSION_CREATED", "registry": "uc", "model_name", "version" (str), "to_stage": None,
    "from_stage": None, "event_timestamp" (creation, epoch ms), "text": "", "run_id", "tags"}`, oldest first.

    Cost per poke: one search call per 1,000 versions plus one `get` per candidate (at most `lookback_versions`
    + len(versions), and none for versions already seen settled): see `databricks_registry.unity_catalog.pending`.
    In reschedule mode every poke is a fresh task try, so the settled cache starts empty each time.

    :param tag_key, tag_value: the tag that marks a version awaiting validation (templated).
    :param versions: versions always read, whatever their age (templated; list, "3,4" or "[3, 4]").
    :param lookback_versions: how many of the newest READY versions are read.
    :param lookback_seconds: only versions created within this many seconds (None: no age limit).
    :param page_size: versions per search page.
    """

    template_fields: Sequence[str] = ("full_name", "tag_key", "tag_value", "versions")

    def __init__(
        self,
        *,
        tag_key: str = DEFAULT_TAG_KEY,
        tag_value: str = DEFAULT_TAG_VALUE,
        versions: Any = None,
        lookback_versions: int = DEFAULT_LOOKBACK_VERSIONS,
        lookback_seconds: float | None = None,
        page_size: int = SEARCH_PAGE_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.tag_key, self.tag_value, self.versions = tag_key, tag_value, versions
        self.lookback_versions, self.lookback_seconds, self.page_size = lookback_versions, lookback_seconds, page_size
        self._watch: PendingWatch | None = None
        PendingWatch(lookback_versions=lookback_versions, lookback_seconds=lookback_seconds, page_size=page_size)

    def _prepare(self) -> None:
        super()._prepare()
        if self._watch is None:  # kept across pokes in poke mode: its settled cache saves calls
            self._watch = PendingWatch(
                tag_key=self.tag_key,
                tag_value=self.tag_value,
                lookback_versions=self.lookback_versions,
                lookback_seconds=self.lookback_seconds,
                versions=tuple(normalize_uc_version(v) for v in parse_versions(self.versions)),
                page_size=self.page_size,
            )

    def _steps(self) -> Generator[Fetch, Any, dict[str, Any] | None]:
        self._prepare()
        assert self._watch is not None  # set by _prepare
        return wait_steps(self.full_name, self._watch, time.time())

    def _trigger(self, **common: Any) -> UcPollTrigger:
        assert self._watch is not None  # execute prepared it
        return PendingValidationTrigger(watch=self._watch.to_dict(), **common)

    def _result(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        events = payload["events"]
        self.log.info("%d version(s) of %r tagged %s=%s", len(events), self.full_name, self.tag_key, self.tag_value)
        return events


class ApprovalTagSensor(UcWaitSensor):
    """Succeed when a person has set the version's approval tag (Databricks deployment jobs' convention).

    Returns `{"approved": bool, "by": <tag approver_tag_key> | None, "source": "uc_tag", "model_name", "version"
    (str), "tag_key", "tag_value"}`: approved True for `approved_value`, False for `rejected_value` (compared without
    regard to case or spaces). Any other value, or no tag, keeps waiting. One `get` per poke.

    :param version: the version waiting for approval (templated).
    :param tag_key, approved_value, rejected_value: the approval tag and its two decisions.
    :param approver_tag_key: a tag naming who decided, when one is recorded (None: never read).
    """

    template_fields: Sequence[str] = ("full_name", "version")

    def __init__(
        self,
        *,
        version: int | str,
        tag_key: str = DEFAULT_APPROVAL_TAG,
        approved_value: str = DEFAULT_APPROVED_VALUE,
        rejected_value: str = DEFAULT_REJECTED_VALUE,
        approver_tag_key: str | None = DEFAULT_APPROVER_TAG,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.version = version
        self.rule = ApprovalRule(tag_key, approved_value, rejected_value, approver_tag_key)

    def _prepare(self) -> None:
        super()._prepare()
        self.version = normalize_uc_version(self.version)

    def _steps(self) -> Generator[Fetch, Any, dict[str, Any] | None]:
        self._prepare()
        return approval_steps(self.full_name, int(self.version), self.rule)

    def _trigger(self, **common: Any) -> UcPollTrigger:
        return ApprovalTagTrigger(version=self.version, rule=asdict(self.rule), **common)

    def _result(self, payload: dict[str, Any]) -> dict[str, Any]:
        decision = {key: payload[key] for key in DECISION_KEYS}
        verdict = "approved" if decision["approved"] else "rejected"
        self.log.info("Version %s of %r %s (tag %s)", decision["version"], self.full_name, verdict, self.rule.tag_key)
        return decision
