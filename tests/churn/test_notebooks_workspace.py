"""Both notebooks run unchanged through the local workspace's Jobs API (databricks-sdk, notebook tasks).

The retraining notebook runs once per session (the `retrained` fixture: the retraining DAG on the session's
workspace, shared with tests/e2e); here its exit value is checked, and the test notebook runs on what only this
module covers: a bad version against a copy of the trained one (tests/e2e changes the original's stage and runs
the test notebook's passing path) and a malformed event.
"""

from __future__ import annotations

import json

import mlflow
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from support.notebook_jobs import submit_notebook
from support.run_logs import run_page_logs

from churn.data import generate_churn_data
from churn.schema import FEATURE_COLUMNS
from churn_pipeline.steps import validated_test_result, validated_training_result

from .conftest import PIP_REQUIREMENTS, fit_pipeline

pytestmark = pytest.mark.notebook


@pytest.fixture()
def client(databricks_env):
    return WorkspaceClient(host=databricks_env.url, token=databricks_env.token)


def run_notebook(client, notebook, params, logs=None):
    """Run a notebook of include/notebooks as a one-task job; return its exit JSON (None without one) and append
    what it printed and displayed to `logs` (a list) when given."""
    run, output = submit_notebook(client, f"/include/notebooks/{notebook}", params, timeout_minutes=4)
    assert run.state.result_state == jobs.RunResultState.SUCCESS, (output.error, output.error_trace)
    if logs is not None:
        logs.append(run_page_logs(run.run_page_url, client.config.token))
    result = output.notebook_output.result if output.notebook_output else None
    return json.loads(result) if result else None


def event(name, version):
    return json.dumps(
        {
            "event": "TRANSITION_REQUEST_TO_STAGING_CREATED",
            "webhook_id": "w1",
            "model_name": name,
            "version": version,
            "to_stage": "Staging",
            "from_stage": "None",
            "event_timestamp": 1700000000000,
            "text": "job webhook",
        }
    )


TEST_WIDGETS = {"max_slice_gap": "0.5"}  # the session's seeded table: 1,500 holdout rows, slices are noisy


def test_retraining_notebook_exits_with_the_trained_version(retrained, client):
    trained = retrained.notebook_output
    assert set(trained) == {
        "model_name",
        "version",
        "run_id",
        "metrics",
        "n_rows",
        "automl_backend",
        "training_data",
        "registry",
    }
    assert trained["n_rows"] == retrained.table_rows
    # The exact data: the table, its Delta version and the DAG's data interval end as as_of, also on the run.
    data = trained["training_data"]
    assert (data["source_table"], data["delta_version"], data["months"], data["n_rows"]) == (
        "bank_churn_analysis.raw_data",
        0,
        ["2025-01", "2025-01"],
        retrained.table_rows,
    )
    assert len(data["as_of"]) == 10  # YYYY-MM-DD: {{ data_interval_end | ds }}
    run = client.experiments.get_run(trained["run_id"]).run
    tags = {tag.key: tag.value for tag in run.data.tags}
    assert (tags["churn.data.delta_version"], tags["churn.data.as_of"]) == ("0", data["as_of"])
    (logged,) = [i.dataset for i in run.inputs.dataset_inputs]  # mlflow.log_input: source = the table
    assert "bank_churn_analysis.raw_data" in logged.source and logged.name.endswith(f"@v0<{data['as_of']}")
    assert trained["automl_backend"] == "flaml" and trained["metrics"]["holdout_f1"] > 0.4
    # What the DAG's read_training_result does with it (the real consumer of the real notebook's output).
    assert validated_training_result(trained, None, trained["model_name"])["version"] == trained["version"]
    registered = client.model_registry.get_model_version(trained["model_name"], trained["version"]).model_version
    assert registered.run_id == trained["run_id"] and retrained.stage_after_retraining == "None"


def test_test_notebook_rejects_a_bad_version_against_the_trained_champion(retrained, client, model_name):
    """The passing path of the test notebook runs in tests/e2e (promotion of the trained version); here a version
    registered by hand, with the right inputs but string labels, is tested against the trained one as champion."""
    champion = retrained.register_copy(client, model_name)
    client.model_registry.transition_stage(model_name, champion, "Staging", archive_existing_versions=False)
    bad_version = _register_string_label_model(model_name, generate_churn_data(3000, seed=21))
    logs: list[str] = []
    verdict = run_notebook(
        client, "test_candidate_model", {"event_message": event(model_name, bad_version), **TEST_WIDGETS}, logs
    )
    failed = [c["name"] for c in verdict["checks"] if not c["passed"]]
    assert verdict["passed"] is False and "prediction_contract" in failed
    # The real consumer (the promotion DAG's reader) takes the real notebook's verdict as it is.
    assert "prediction_contract" in validated_test_result(verdict)["failed_checks"]
    # Results are shown with display(): the checks table is in the run's output.
    assert "prediction_contract" in logs[0] and "threshold" in logs[0]
    assert verdict["champion_version"] == champion and verdict["evaluation_run_id"]
    assert "prediction_contract | FAIL" in verdict["report_markdown"]
    tags = {t.key: t.value for t in client.model_registry.get_model_version(model_name, bad_version).model_version.tags}
    assert tags["check.prediction_contract"] == "failed"
    # No transition request, comment or stage change came from the notebook: Airflow owns those.
    assert list(client.model_registry.list_transition_requests(model_name, bad_version)) == []
    assert _stage(client.model_registry.get_model_version(model_name, bad_version).model_version) == "None"
    assert _stage(client.model_registry.get_model_version(model_name, champion).model_version) == "Staging"


def _stage(model_version) -> str:
    return getattr(model_version.current_stage, "value", model_version.current_stage)


def _register_string_label_model(model_name, table) -> str:
    """A model someone registered by hand: right inputs, but it answers 'churn'/'stay' instead of 1/0."""
    mlflow.set_tracking_uri("databricks")
    mlflow.set_registry_uri("databricks")
    mlflow.set_experiment("/Shared/churn_tests_by_hand")
    labels = table["Exited"].map({0: "stay", 1: "churn"})
    pipeline = fit_pipeline(table, labels=labels)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            pipeline,
            name="model",
            input_example=table[list(FEATURE_COLUMNS)].head(5),
            registered_model_name=model_name,
            pip_requirements=PIP_REQUIREMENTS,
            serialization_format="cloudpickle",
        )
    return str(info.registered_model_version)


def test_malformed_event_message_exits_cleanly_with_the_reason(client):
    result = run_notebook(client, "test_candidate_model", {"event_message": '{"model_name": "x", "version": "one"}'})
    assert result["passed"] is False
    assert result["checks"][0]["name"] == "event_message" and "version" in result["checks"][0]["detail"]
