"""Saved jobs through the Airflow Databricks provider: the hook's create/find-by-name/reset and
`DatabricksRunNowOperator` (by job name, with notebook_params and job_parameters) against the local workspace."""

from __future__ import annotations

import json
import os

import pytest
from airflow.providers.databricks.hooks.databricks import DatabricksHook
from airflow.providers.databricks.operators.databricks import DatabricksRunNowOperator

pytestmark = pytest.mark.notebook  # the operator runs notebooks

NOTEBOOKS = "/Workspace/tests/local_workspace/notebooks"


class FakeTaskInstance:
    """Just what the operator touches on `context["ti"]`: XCom pushes (kept for assertions) and stats tags."""

    def __init__(self):
        self.xcom: dict[str, object] = {}
        self.stats_tags: dict[str, str] = {}

    def xcom_push(self, key, value, **_):
        self.xcom[key] = value


def job_settings(job_name: str, notebook: str, **params) -> dict:
    return {
        "name": job_name,
        "tasks": [
            {"task_key": "t", "notebook_task": {"notebook_path": f"{NOTEBOOKS}/{notebook}", "base_parameters": params}}
        ],
    }


def test_hook_creates_finds_by_name_and_resets_a_job(databricks_env):
    hook = DatabricksHook()
    name = f"provider job {os.getpid()}-{os.urandom(3).hex()}"
    assert hook.find_job_id_by_name(name) is None
    job_id = hook.create_job(job_settings(name, "hello", name="created"))
    assert hook.find_job_id_by_name(name) == job_id
    hook.reset_job(str(job_id), job_settings(name, "hello", name="reset"))
    run_id = hook.run_now({"job_id": job_id})
    run = hook.get_run(run_id)
    assert run["job_id"] == job_id and run["run_type"] == "JOB_RUN"
    assert run["tasks"][0]["notebook_task"]["base_parameters"] == {"name": "reset"}


def test_run_now_operator_by_job_name_passes_parameters_as_strings(databricks_env):
    hook = DatabricksHook()
    name = f"run-now operator {os.getpid()}-{os.urandom(3).hex()}"
    settings = {**job_settings(name, "widget_types"), "parameters": [{"name": "env", "default": "dev"}]}
    job_id = hook.create_job(settings)
    ti = FakeTaskInstance()
    operator = DatabricksRunNowOperator(
        task_id="run_now",
        job_name=name,
        notebook_params={"threshold": 0.5, "strict": True},
        job_parameters={"env": "staging"},
        polling_period_seconds=1,
    )
    operator.execute({"ti": ti})
    run = hook.get_run(ti.xcom["run_id"])
    assert run["state"]["result_state"] == "SUCCESS" and run["job_id"] == job_id
    read = json.loads(hook.get_run_output(run["tasks"][0]["run_id"])["notebook_output"]["result"])
    assert read == {"threshold": ["str", "0.5"], "strict": ["str", "true"], "env": ["str", "staging"]}
