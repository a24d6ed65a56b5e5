"""One run of the retraining DAG with the real notebook (AutoML), shared by the session (`retrained` fixture in
tests/conftest.py): training is the suite's slowest step, and each module that needs a trained model only needs
*a* version the real notebook trained and registered."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

import pytest

MODEL = "Churn E2E Bank"  # the e2e module owns this model's stages; other modules work on copies
# The AutoML budget is kept small; the default seeded table (10,000 rows) is what the promotion DAG tests against.
RETRAIN_CONF = {"model_name": MODEL, "timeout_minutes": 0.1}


@dataclass(frozen=True)
class Retrained:
    outcome: Any  # dag_runner.DagRunOutcome of the retraining DAG
    notebook_output: dict  # the retraining notebook's own exit JSON, as the Jobs API returns it
    stage_after_retraining: str  # the new version's stage right after the DAG run (before anyone changes it)
    table_rows: int

    @property
    def model_name(self) -> str:
        return self.notebook_output["model_name"]

    @property
    def version(self) -> str:
        return str(self.notebook_output["version"])

    def register_copy(self, client, name: str) -> str:
        """Register the trained artifacts again as a version of `name` (same source and run, own stages)."""
        from databricks.sdk.errors import ResourceAlreadyExists

        original = client.model_registry.get_model_version(self.model_name, self.version).model_version
        with contextlib.suppress(ResourceAlreadyExists):
            client.model_registry.create_model(name)
        created = client.model_registry.create_model_version(
            name, original.source, run_id=original.run_id, description=f"copy of {self.model_name} v{self.version}"
        )
        return created.model_version.version


def run_retraining(workspace) -> Retrained:
    import dag_runner
    from databricks.sdk import WorkspaceClient

    from churn.seed import seed_table

    seeded = seed_table(workspace.data_dir)
    mp = pytest.MonkeyPatch()
    try:
        for key, value in workspace.client_env().items():
            mp.setenv(key, value)
        mp.setenv("AIRFLOW_CONN_DATABRICKS_DEFAULT", workspace.airflow_connection_json())
        dag = dag_runner.load_dags()["churn_model_retraining"]
        outcome = dag_runner.run_dag(dag_runner.adapt_for_dag_test(dag), RETRAIN_CONF)
    finally:
        mp.undo()
    assert outcome.succeeded, f"the session's retraining DAG run failed: {outcome.failed_tasks()}"
    client = WorkspaceClient(host=workspace.url, token=workspace.token)
    run = client.jobs.get_run(outcome.value("retrain_model", "run_id"))
    output = client.jobs.get_run_output(run.tasks[0].run_id)
    trained = json.loads(output.notebook_output.result)
    stage = client.model_registry.get_model_version(MODEL, str(trained["version"])).model_version.current_stage
    return Retrained(outcome, trained, getattr(stage, "value", stage), seeded.rows)
