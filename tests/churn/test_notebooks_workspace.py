"""Both notebooks run unchanged through the local workspace's Jobs API (databricks-sdk, notebook tasks)."""

from __future__ import annotations

import json
from datetime import timedelta

import mlflow
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs

from churn.data import generate_churn_data
from churn.schema import FEATURE_COLUMNS
from churn.storage import write_table
from churn_pipeline.steps import validated_test_result, validated_training_result

from .conftest import PIP_REQUIREMENTS, fit_pipeline

SOURCE_TABLE = "churn_notebook_tests.raw_data"  # own table: the shared workspace's default one is left alone


@pytest.fixture(scope="module")
def table(workspace):
    frame = generate_churn_data(3000, seed=21)
    write_table(frame, SOURCE_TABLE, workspace.data_dir / "warehouse", mode="overwrite")
    return frame


@pytest.fixture()
def client(databricks_env):
    return WorkspaceClient(host=databricks_env.url, token=databricks_env.token)


def run_notebook(client, notebook, params, logs=None):
    """Submit a one-task notebook run, wait, return its exit JSON or None (and its output in `logs`, a list)."""
    run = client.jobs.submit(
        run_name=f"churn test {notebook}",
        tasks=[
            jobs.SubmitTask(
                task_key="notebook",
                notebook_task=jobs.NotebookTask(notebook_path=f"/include/notebooks/{notebook}", base_parameters=params),
            )
        ],
    ).result(timeout=timedelta(minutes=4))
    output = client.jobs.get_run_output(run.tasks[0].run_id)
    assert run.state.result_state == jobs.RunResultState.SUCCESS, (output.error, output.error_trace)
    result = output.notebook_output.result if output.notebook_output else None
    if logs is not None:
        logs.append(output.logs or "")
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


TEST_WIDGETS = {"source_table": SOURCE_TABLE, "max_slice_gap": "0.5"}  # 450 holdout rows: slices are noisy


def test_retrain_then_test_then_reject_a_bad_version(client, table, model_name, databricks_env):
    logs: list[str] = []
    trained = run_notebook(
        client,
        "retrain_churn_model",
        {
            "model_name": model_name,
            "source_table": SOURCE_TABLE,
            "timeout_minutes": "0.1",
        },
        logs,
    )
    assert set(trained) == {"model_name", "version", "run_id", "metrics", "n_rows", "automl_backend"}
    # What the DAG's read_training_result does with it (the real consumer of the real notebook's output).
    assert validated_training_result(trained, None, model_name)["version"] == trained["version"]
    assert trained["model_name"] == model_name and trained["n_rows"] == len(table)
    assert trained["automl_backend"] == "flaml" and trained["metrics"]["holdout_f1"] > 0.4
    version = trained["version"]
    registered = client.model_registry.get_model_version(model_name, version).model_version
    assert registered.run_id == trained["run_id"] and _stage(registered) == "None"

    tested = run_notebook(
        client, "test_candidate_model", {"event_message": event(model_name, version), **TEST_WIDGETS}, logs
    )
    assert tested["passed"] is True, tested["report_markdown"]
    assert validated_test_result(tested)["failed_checks"] == []
    # Results are shown with display(): the metrics table, then the checks table.
    assert "holdout_f1" in logs[0] and "metric" in logs[0]
    assert "holdout_quality" in logs[1] and "threshold" in logs[1]
    assert [c["name"] for c in tested["checks"]] == [
        "input_schema",
        "prediction_contract",
        "holdout_quality",
        "champion_comparison",
        "slice_gaps",
        "batch_latency",
        "metadata",
    ]
    assert tested["champion_version"] is None and tested["evaluation_run_id"]
    tags = {t.key: t.value for t in client.model_registry.get_model_version(model_name, version).model_version.tags}
    assert tags["check.holdout_quality"] == "passed"
    # No transition request, comment or stage change came from the notebooks: Airflow owns those.
    assert list(client.model_registry.list_transition_requests(model_name, version)) == []

    # The good version becomes the Staging champion; a bad version registered by hand must be rejected.
    client.model_registry.transition_stage(model_name, version, "Staging", archive_existing_versions=False)
    bad_version = _register_string_label_model(model_name, table)
    verdict = run_notebook(
        client, "test_candidate_model", {"event_message": event(model_name, bad_version), **TEST_WIDGETS}
    )
    failed = [c["name"] for c in verdict["checks"] if not c["passed"]]
    assert verdict["passed"] is False and "prediction_contract" in failed
    assert verdict["champion_version"] == version
    assert "prediction_contract | FAIL" in verdict["report_markdown"]
    assert _stage(client.model_registry.get_model_version(model_name, version).model_version) == "Staging"


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


def test_malformed_event_message_exits_cleanly_with_the_reason(client, table):
    result = run_notebook(client, "test_candidate_model", {"event_message": '{"model_name": "x", "version": "one"}'})
    assert result["passed"] is False
    assert result["checks"][0]["name"] == "event_message" and "version" in result["checks"][0]["detail"]
