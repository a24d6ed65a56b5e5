"""The training contract on a tiny budget: trials and baseline logged, best model registered and usable."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pytest

from churn.checks import check_input_schema
from churn.schema import FEATURE_COLUMNS
from churn.training import TrainingConfig, train_and_register

pytestmark = pytest.mark.notebook  # trains with AutoML (FLAML)

METRIC_NAMES = ("f1", "precision", "recall", "roc_auc")


@pytest.fixture(scope="module")
def trained(churn_table, _mlflow_db):
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    mlflow.set_tracking_uri(_mlflow_db)
    mlflow.set_registry_uri(_mlflow_db)
    mlflow.set_experiment("churn-training-contract")
    try:
        yield train_and_register(
            churn_table, TrainingConfig(model_name="Churn Training Contract", timeout_minutes=0.05)
        )
    finally:
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])


def test_exit_payload_contract(trained, churn_table):
    payload = json.loads(trained.to_json())
    required = {"model_name", "version", "run_id", "metrics", "n_rows", "automl_backend"}
    # Optional: `training_data` (what it trained on; null when no data record was given) and `registry` (where the
    # version went; the workspace registry unless asked for Unity Catalog).
    assert required <= set(payload) <= required | {"training_data", "registry"}
    assert payload.get("registry", "workspace") == "workspace"
    assert payload["model_name"] == "Churn Training Contract"
    assert payload["version"] == "1" and isinstance(payload["version"], str)
    assert payload["n_rows"] == len(churn_table)
    assert payload["automl_backend"] == "flaml"
    for part in ("val", "holdout", "baseline_val", "baseline_holdout"):
        for name in METRIC_NAMES:
            assert 0 <= payload["metrics"][f"{part}_{name}"] <= 1, (part, name)


def test_the_dag_reads_what_the_notebook_writes(trained):
    """The real producer's exit JSON through the real consumer (`read_training_result`'s body)."""
    from churn_pipeline.steps import validated_training_result

    read = validated_training_result(json.loads(trained.to_json()), "https://ws/#job/7/run/8", trained.model_name)
    assert {k: read[k] for k in ("model_name", "version", "run_id", "n_rows", "automl_backend")} == {
        "model_name": trained.model_name,
        "version": trained.version,
        "run_id": trained.run_id,
        "n_rows": trained.n_rows,
        "automl_backend": "flaml",
    }
    assert read["metrics"] == pytest.approx(trained.metrics)
    assert f"holdout_f1 {trained.metrics['holdout_f1']:.4f}" in read["comment"] and "#job/7/run/8" in read["comment"]


def test_registered_model_predicts_integer_labels_with_the_expected_signature(trained, churn_table, local_mlflow):
    model = mlflow.pyfunc.load_model(f"models:/{trained.model_name}/{trained.version}")
    assert check_input_schema(model).passed
    assert model.metadata.saved_input_example_info is not None
    labels = np.asarray(model.predict(churn_table[list(FEATURE_COLUMNS)].head(200)))
    assert np.issubdtype(labels.dtype, np.integer) and set(labels.tolist()) <= {0, 1}
    proba = model.get_raw_model().predict_proba(churn_table[list(FEATURE_COLUMNS)].head(200))
    assert proba.shape == (200, 2)


def test_every_trial_and_the_baseline_are_logged(trained, local_mlflow):
    client = mlflow.MlflowClient()
    history = client.get_metric_history(trained.run_id, "trial_validation_loss")
    assert len(history) == trained.trials >= 1
    assert sorted(m.step for m in history) == list(range(trained.trials))
    run = client.get_run(trained.run_id)
    assert run.data.metrics["holdout_f1"] == pytest.approx(trained.metrics["holdout_f1"], abs=1e-6)
    assert run.data.params["automl_backend"] == "flaml"
    children = client.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{trained.run_id}'")
    baseline = [c for c in children if c.info.run_name == "logistic_regression_baseline"]
    assert baseline and "holdout_f1" in baseline[0].data.metrics
    assert "automl/trials.json" in [a.path for a in client.list_artifacts(trained.run_id, "automl")]


def test_run_reports_automl_gain_over_the_baseline(trained, local_mlflow):
    # Whether AutoML wins depends on the budget (a 3 s search may not): the run must show the gain either way.
    m = trained.metrics
    assert m["automl_gain_holdout_f1"] == pytest.approx(m["holdout_f1"] - m["baseline_holdout_f1"], abs=1e-5)
    logged = mlflow.MlflowClient().get_run(trained.run_id).data.metrics
    assert logged["automl_gain_holdout_f1"] == pytest.approx(m["automl_gain_holdout_f1"], abs=1e-5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"model_name": " "}, "model_name"),
        ({"model_name": "m", "primary_metric": "mape"}, "primary_metric"),
        ({"model_name": "m", "timeout_minutes": 0}, "timeout_minutes"),
        ({"model_name": "m", "backend": "sagemaker"}, "backend"),
    ],
)
def test_bad_config_is_rejected_before_training(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainingConfig(**kwargs)


def test_databricks_backend_needs_an_ml_runtime(churn_table, local_mlflow):
    with pytest.raises(RuntimeError, match="Databricks ML runtime"):
        train_and_register(churn_table, TrainingConfig(model_name="never", backend="databricks"))
    assert mlflow.MlflowClient().search_registered_models("name = 'never'") == []
