"""The saved Databricks job that runs `include/notebooks/test_candidate_model`: for teams that keep the book's
all-Databricks shape, a registry *job* webhook starts it with `notebook_params.event_message` when a transition
request is created (Airflow then only reads its outcome).

`ensure_candidate_test_job` is idempotent: it finds the job by name and resets it to the current settings, else
creates it, so running it again after a config change updates the job in place (same job id, so the webhook keeps
pointing at it). Works against any workspace, local or real, through the provider's `DatabricksHook`.

    python -m churn_pipeline.candidate_test_job [--conn-id databricks_default] [--profile local] [--source workspace]
"""

from __future__ import annotations

import argparse
from typing import Any, Protocol

from churn_contract.options import CandidateTestOptions
from churn_pipeline.config import load_config
from churn_pipeline.notebook_run import encode_parameters

TEST_JOB_NAME = "churn: test candidate model"
TEST_NOTEBOOK = "test_candidate_model"
# Webhook deliveries for several requests may arrive together; on Databricks, runs beyond the job's
# max_concurrent_runs queue (queue.enabled) instead of being skipped.
MAX_CONCURRENT_RUNS = 5


class JobsHook(Protocol):
    """The part of the provider's `DatabricksHook` used here."""

    def find_job_id_by_name(self, job_name: str) -> int | None: ...

    def create_job(self, json: dict) -> int: ...

    def reset_job(self, job_id: str, json: dict) -> None: ...


def candidate_test_job_settings(
    profile: str | None = None, source: str | None = None, name: str = TEST_JOB_NAME
) -> dict:
    """Jobs API 2.2 `JobSettings`: one notebook task on the profile's compute, widgets at their defaults (the
    candidate test's thresholds; `event_message` comes with each run-now)."""
    config = load_config()
    compute, notebooks = config.profile(profile), config.source(source)
    defaults = CandidateTestOptions().model_dump()
    task: dict[str, Any] = {
        "task_key": TEST_NOTEBOOK,
        "notebook_task": {
            "notebook_path": notebooks.notebook_path(TEST_NOTEBOOK),
            "source": notebooks.type,
            "base_parameters": encode_parameters({"event_message": "", **defaults}),
        },
        "timeout_seconds": compute.timeout_seconds,
        **compute.task_compute(),
    }
    settings: dict[str, Any] = {
        "name": name,
        "tasks": [task],
        "timeout_seconds": compute.timeout_seconds,
        "max_concurrent_runs": MAX_CONCURRENT_RUNS,
        "queue": {"enabled": True},
        "tags": {"project": "churn", "purpose": "candidate-test"},
    }
    if notebooks.git_source:
        settings["git_source"] = dict(notebooks.git_source)
    if compute.performance_target and compute.serverless:
        settings["performance_target"] = compute.performance_target
    return settings


def ensure_candidate_test_job(hook: JobsHook, settings: dict | None = None) -> tuple[int, bool]:
    """(job id, whether it was created): reset the job named like `settings` if one exists, else create it.
    Two jobs of that name make the provider raise (it cannot tell which one the webhook should run)."""
    settings = settings or candidate_test_job_settings()
    job_id = hook.find_job_id_by_name(settings["name"])
    if job_id is None:
        return hook.create_job(settings), True
    hook.reset_job(str(job_id), settings)
    return job_id, False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conn-id", default="databricks_default", help="Airflow connection of the workspace")
    parser.add_argument("--profile", help="compute profile of include/config/databricks_jobs.yaml")
    parser.add_argument("--source", help="notebook source of include/config/databricks_jobs.yaml")
    args = parser.parse_args(argv)
    from airflow.providers.databricks.hooks.databricks import DatabricksHook

    job_id, created = ensure_candidate_test_job(
        DatabricksHook(args.conn_id), candidate_test_job_settings(args.profile, args.source)
    )
    print(f"{'created' if created else 'updated'} job {job_id} ({TEST_JOB_NAME})")


if __name__ == "__main__":
    main()
