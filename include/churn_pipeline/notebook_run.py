"""`NotebookRunOperator`: the provider's `DatabricksSubmitRunOperator` for one notebook task, with the compute
picked per run from a named profile (`include/config/databricks_jobs.yaml`).

Why a thin subclass rather than the plain operator: the profile is a trigger-form param, so the compute fields
(`new_cluster`, none for serverless, ...) are only known at run time, and a per-attempt idempotency token needs
the try number. Everything else (submit, durable reconnect, deferral, cancel on kill, XCom `run_id`) is the
provider's own code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator

from churn_pipeline.config import load_config

IDEMPOTENCY_TOKEN_MAX = 64


def idempotency_token(dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> str:
    """One token per task *attempt*: Databricks answers a repeated token with the existing run, so a token
    without the try number would hand a retry the same (failed) run again. A worker crash inside one attempt
    keeps the token, and the provider's durable mode reconnects to the run it stored."""
    raw = f"{dag_id}|{run_id}|{task_id}|{map_index}|{try_number}"
    token = f"airflow-{hashlib.sha256(raw.encode()).hexdigest()[:40]}-{try_number}"
    return token[:IDEMPOTENCY_TOKEN_MAX]


def encode_parameters(parameters: Mapping[str, Any]) -> dict[str, str]:
    """Databricks `base_parameters` are str -> str: JSON-encode structured values, stringify scalars."""
    encoded: dict[str, str] = {}
    for key, value in parameters.items():
        if value is None:
            raise ValueError(f"notebook parameter {key!r} is None; pass an explicit string")
        if isinstance(value, str):
            encoded[key] = value
        elif isinstance(value, bool):
            encoded[key] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            encoded[key] = str(value)
        else:
            encoded[key] = json.dumps(value, sort_keys=True, default=str)
    return encoded


class NotebookRunOperator(DatabricksSubmitRunOperator):
    """Run notebook `notebook` (a name under the configured notebook source) as a one-task Databricks run.

    :param notebook: notebook name without extension, e.g. ``retrain_churn_model``.
    :param base_parameters: the notebook's widgets, always explicit (the provider otherwise copies every DAG
        param into an empty ``base_parameters``). Templated; dict/list values are sent as JSON strings.
    :param cluster_profile: profile name (templated, e.g. ``{{ params.cluster_profile }}``).
    :param timeout_seconds: run timeout; defaults to the profile's ``timeout_seconds``.
    :param notebook_source: a source from the config (``workspace`` / ``git``); default from the config.
    """

    template_fields = (*DatabricksSubmitRunOperator.template_fields, "cluster_profile")

    def __init__(
        self,
        *,
        notebook: str,
        base_parameters: Mapping[str, Any],
        cluster_profile: str | None = None,
        timeout_seconds: int | None = None,
        notebook_source: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not base_parameters:
            raise ValueError(
                "base_parameters must be given explicitly: with none, the Databricks provider sends every DAG "
                "param to the notebook"
            )
        config = load_config()
        source = config.source(notebook_source)
        default_profile = config.profile()
        timeout = timeout_seconds or default_profile.timeout_seconds
        task = {
            "task_key": notebook,
            "notebook_task": {
                "notebook_path": source.notebook_path(notebook),
                "source": source.type,
                "base_parameters": dict(base_parameters),
            },
            "timeout_seconds": timeout,
        }
        kwargs.setdefault("polling_period_seconds", default_profile.polling_period_seconds)
        kwargs.setdefault("run_name", f"airflow {notebook}")
        super().__init__(tasks=[task], git_source=source.git_source, timeout_seconds=timeout, **kwargs)
        self.cluster_profile = cluster_profile or default_profile.name
        self.notebook = notebook
        self._timeout_from_profile = timeout_seconds is None

    def execute(self, context: Any) -> Any:
        # Rendering is done (mapped or not); fill in what depends on this run before the provider submits.
        self._apply_profile()
        if not self.idempotency_token:
            ti = context["ti"]
            self.idempotency_token = idempotency_token(
                ti.dag_id, ti.run_id, ti.task_id, ti.map_index if ti.map_index is not None else -1, ti.try_number
            )
        return super().execute(context)

    def _apply_profile(self) -> None:
        profile = load_config().profile(self.cluster_profile)
        self.polling_period_seconds = profile.polling_period_seconds
        if self._timeout_from_profile:
            self.timeout_seconds = profile.timeout_seconds
        if profile.performance_target and profile.serverless:
            self.performance_target = profile.performance_target
        tasks: list[object] = []
        for original in self.tasks or ():
            if not isinstance(original, dict):  # the provider annotates tasks as objects; ours are task dicts
                raise TypeError(f"{self.task_id}: tasks must be runs/submit task dicts, got {original!r}")
            task = {k: v for k, v in original.items() if k not in ("new_cluster", "existing_cluster_id")}
            task.update(profile.task_compute())
            task["timeout_seconds"] = self.timeout_seconds
            notebook_task = dict(task["notebook_task"])
            notebook_task["base_parameters"] = encode_parameters(notebook_task["base_parameters"])
            task["notebook_task"] = notebook_task
            tasks.append(task)
        self.tasks = tasks
        self.log.info(
            "Submitting %s on profile %s (%s)",
            self.notebook,
            profile.name,
            "serverless" if profile.serverless else next(iter(profile.task_compute())),
        )
