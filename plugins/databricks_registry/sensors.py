"""`TransitionRequestSensor`: wait for open transition requests of a model to a stage; XCom them as events."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowSensorTimeout, AirflowSkipException, conf
from airflow.sdk import BaseSensorOperator, PokeReturnValue

from databricks_registry.entities import normalize_model_name, normalize_stage
from databricks_registry.hooks import ModelRegistryHook, RegistryHookMixin
from databricks_registry.links import MODEL_VERSION_URL_KEY, ModelVersionLink, model_url, model_version_url
from databricks_registry.triggers import TransitionRequestTrigger
from databricks_registry.watch import (
    DEFAULT_LOOKBACK_VERSIONS,
    DEFAULT_RECHECK_SECONDS,
    DEFAULT_RESCAN_EVERY,
    VersionWatch,
    detect,
)


def parse_versions(value: Any) -> tuple[str, ...]:
    """Accept None, one version, a list, a JSON list or a comma-separated string (templates render to strings).

    `"{{ params.version }}"` with no version renders as "None": that means "no explicit versions", not a version.
    """
    if value is None or value == [] or (isinstance(value, str) and value.strip() in ("", "None", "null")):
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = json.loads(text)
        else:
            value = [part for part in text.split(",") if part.strip()]
    if isinstance(value, (str, int)):
        value = [value]
    return tuple(str(v).strip() for v in value)


def success_event(event: dict[str, Any] | None, soft_fail: bool) -> dict[str, Any]:
    """A trigger's event if it is a success; its timeout skips the task (`soft_fail`) or times it out; anything
    else fails it with the trigger's message."""
    if event and event.get("status") == "timeout":
        if soft_fail:
            raise AirflowSkipException(event["message"])
        raise AirflowSensorTimeout(event["message"])
    if not event or event.get("status") != "success":
        raise AirflowException((event or {}).get("message", "the trigger ended without an event"))
    return event


class TransitionRequestSensor(RegistryHookMixin, BaseSensorOperator):
    """Succeed when `model_name` has open transition requests to `to_stage`; return them (XCom) as event dicts.

    Events are webhook-shaped (`event`, `model_name`, `version`, `to_stage`, `from_stage`, `requester`, `comment`,
    `creation_timestamp`, `event_timestamp`, `text`), deduplicated and ordered by creation time, then version.

    Works in `mode="poke"`, `mode="reschedule"` and `deferrable=True` (waits in the triggerer). Each poke costs
    one call plus one per candidate version, not one per registered version — see `databricks_registry.watch`.
    In poke and deferrable mode the watch keeps its watermark between pokes (a quiet poke is 1 call); in reschedule
    mode every poke is a fresh task try, so every poke looks back `lookback_versions` versions (1 + K calls).

    :param model_name: registered model (templated).
    :param to_stage: target stage of the requests to wait for (templated): Staging, Production, Archived, None.
    :param versions: versions always checked, whatever their age (templated; list, "3,4" or "[3, 4]").
    :param lookback_versions: how many of the newest versions the first poke checks.
    :param recheck_seconds: how long a version registered while watching keeps being checked.
    :param rescan_every: every how many pokes the look-back window is checked again (late requests on old versions).
    :param retry_limit, databricks_retry_delay: HTTP retries per REST call, as for the registry operators.
    """

    template_fields: Sequence[str] = ("model_name", "to_stage", "versions")
    operator_extra_links = (ModelVersionLink(),)
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        model_name: str,
        to_stage: str = "Staging",
        databricks_conn_id: str = ModelRegistryHook.default_conn_name,
        versions: Any = None,
        lookback_versions: int = DEFAULT_LOOKBACK_VERSIONS,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
        rescan_every: int = DEFAULT_RESCAN_EVERY,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        max_consecutive_errors: int = 3,
        retry_limit: int = 3,
        databricks_retry_delay: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.to_stage = to_stage
        self.databricks_conn_id = databricks_conn_id
        self.versions = versions
        self.lookback_versions = lookback_versions
        self.recheck_seconds = recheck_seconds
        self.rescan_every = rescan_every
        self.deferrable = deferrable
        self.max_consecutive_errors = max_consecutive_errors
        self.retry_limit = retry_limit
        self.databricks_retry_delay = databricks_retry_delay
        # Built on the first poke (after templating); kept across pokes in poke mode.
        self._watch: VersionWatch | None = None
        VersionWatch(
            lookback_versions=lookback_versions, recheck_seconds=recheck_seconds, rescan_every=rescan_every
        )  # validate early

    def _ensure_watch(self) -> VersionWatch:
        if self._watch is None:
            self.model_name = normalize_model_name(self.model_name)
            self.to_stage = normalize_stage(self.to_stage)
            self._watch = VersionWatch(
                lookback_versions=self.lookback_versions,
                recheck_seconds=self.recheck_seconds,
                rescan_every=self.rescan_every,
                versions=parse_versions(self.versions),
            )
        return self._watch

    def poke(self, context: Any) -> PokeReturnValue:
        watch = self._ensure_watch()
        result = detect(self.hook, self.model_name, self.to_stage, watch, time.time())
        self.log.info(
            "Checked versions %s of %r for requests to %s: %d found",
            result.listed_versions,
            self.model_name,
            self.to_stage,
            len(result.events),
        )
        if not result.model_exists:
            self.log.warning("Registered model %r does not exist (yet).", self.model_name)
        if result.events:
            self._push_link(context, result.events[0].version)
            return PokeReturnValue(is_done=True, xcom_value=[e.to_dict() for e in result.events])
        return PokeReturnValue(is_done=False)

    def execute(self, context: Any) -> Any:
        # The link shows the model until a request is found: Airflow reads every extra link's XCom when the
        # task defers or ends, and a missing one logs an error-level "XCom not found".
        self._ensure_watch()
        context["ti"].xcom_push(key=MODEL_VERSION_URL_KEY, value=model_url(self.hook.workspace_url(), self.model_name))
        if not self.deferrable:
            return super().execute(context)
        first = self.poke(context)
        if first.is_done:
            return first.xcom_value
        self.defer(
            trigger=TransitionRequestTrigger(
                model_name=self.model_name,
                to_stage=self.to_stage,
                databricks_conn_id=self.databricks_conn_id,
                poke_interval=self.poke_interval,
                watch=self._ensure_watch().to_dict(),
                max_consecutive_errors=self.max_consecutive_errors,
                retry_limit=self.retry_limit,
                retry_delay=self.databricks_retry_delay,
                end_time=time.time() + float(self.timeout) if self.timeout else None,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout) if self.timeout else None,
        )

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        event = success_event(event, self.soft_fail)
        self.log.info("%d open request(s) to %s for %r", len(event["events"]), self.to_stage, self.model_name)
        if event["events"]:
            self._push_link(context, event["events"][0]["version"])
        return event["events"]

    def _push_link(self, context: Any, version: str) -> None:
        url = model_version_url(self.hook.workspace_url(), self.model_name, version)
        context["ti"].xcom_push(key=MODEL_VERSION_URL_KEY, value=url)
