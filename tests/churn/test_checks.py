"""Each candidate check passes a sound model and fails the broken one it exists to catch."""

from __future__ import annotations

import time

import numpy as np
import pytest

from churn.checks import (
    check_batch_latency,
    check_holdout_quality,
    check_input_schema,
    check_metadata,
    check_prediction_contract,
    check_slice_gaps,
)
from churn.schema import FEATURE_COLUMNS

from .conftest import PIP_REQUIREMENTS, fit_pipeline, save_pyfunc


@pytest.fixture(scope="module")
def holdout(churn_split):
    return churn_split.holdout


def test_input_schema_passes_the_ten_features(good_model):
    result = check_input_schema(good_model)
    assert result.passed, result.detail
    assert result.measured == result.threshold


def test_input_schema_fails_a_model_missing_a_column(churn_split, tmp_path):
    nine = [c for c in FEATURE_COLUMNS if c != "IsActiveMember"]
    model = save_pyfunc(fit_pipeline(churn_split.train, nine), tmp_path / "m", nine, churn_split.train.head(5))
    result = check_input_schema(model)
    assert not result.passed and "missing IsActiveMember" in result.detail


def test_input_schema_is_case_sensitive(churn_split, tmp_path):
    """The book's check spelled `isActiveMember` and compared None with None: ours notices."""
    train = churn_split.train.rename(columns={"IsActiveMember": "isActiveMember"})
    cols = [("isActiveMember" if c == "IsActiveMember" else c) for c in FEATURE_COLUMNS]
    model = save_pyfunc(fit_pipeline(train, cols), tmp_path / "m", cols, train.head(5))
    result = check_input_schema(model)
    assert not result.passed and "case-sensitive" in result.detail


def test_input_schema_fails_without_signature(churn_split, good_pipeline, tmp_path):
    model = save_pyfunc(good_pipeline, tmp_path / "m", example=churn_split.train.head(5), signature=False)
    assert not check_input_schema(model).passed


def test_prediction_contract_passes_integer_labels_with_probabilities(good_model, holdout):
    result = check_prediction_contract(good_model, holdout[list(FEATURE_COLUMNS)])
    assert result.passed, result.detail
    assert result.measured["rows"] == len(holdout)
    lo, hi = result.measured["probability_range"]
    assert 0 <= lo <= hi <= 1


def test_prediction_contract_fails_a_model_returning_strings(churn_split, holdout, tmp_path):
    labels = churn_split.train["Exited"].map({0: "stay", 1: "churn"})
    model = save_pyfunc(
        fit_pipeline(churn_split.train, labels=labels), tmp_path / "m", example=churn_split.train.head(5)
    )
    result = check_prediction_contract(model, holdout[list(FEATURE_COLUMNS)])
    assert not result.passed and "expected integers" in result.detail


def test_prediction_contract_fails_labels_outside_zero_one(churn_split, holdout, tmp_path):
    labels = churn_split.train["Exited"] + 2 * (churn_split.train["Age"] > 60)  # classes 0..3
    model = save_pyfunc(
        fit_pipeline(churn_split.train, labels=labels), tmp_path / "m", example=churn_split.train.head(5)
    )
    result = check_prediction_contract(model, holdout[list(FEATURE_COLUMNS)])
    assert not result.passed and "not all in {0, 1}" in result.detail


def test_prediction_contract_fails_a_model_that_cannot_predict(good_model, holdout):
    result = check_prediction_contract(good_model, holdout[["Age", "Tenure"]])
    assert not result.passed and result.detail.startswith("predict failed")


def test_holdout_quality_thresholds(holdout, good_model):
    features = holdout[list(FEATURE_COLUMNS)]
    y_pred = good_model.predict(features)
    y_score = good_model.get_raw_model().predict_proba(features)[:, 1]
    good = check_holdout_quality(holdout["Exited"], y_pred, y_score, min_f1=0.4, min_roc_auc=0.75)
    assert good.passed, good.detail
    strict = check_holdout_quality(holdout["Exited"], y_pred, y_score, min_f1=0.95, min_roc_auc=0.75)
    assert not strict.passed and "F1" in strict.detail
    never_churn = check_holdout_quality(holdout["Exited"], np.zeros(len(holdout), int), None, 0.4, 0.75)
    assert not never_churn.passed and "hard labels" in never_churn.detail


def test_slice_gaps_pass_a_fair_model_and_fail_a_one_country_model(holdout):
    truth = holdout["Exited"].to_numpy()
    assert check_slice_gaps(holdout, truth, max_gap=0.01).passed  # perfect everywhere: no gap
    only_germany = np.where(holdout["Geography"] == "Germany", truth, 0)
    result = check_slice_gaps(holdout, only_germany, max_gap=0.25)
    assert not result.passed and "Geography" in result.detail
    assert result.measured["Geography"]["France"]["recall"] == 0.0


def test_batch_latency_budget(good_model, holdout):
    fast = check_batch_latency(good_model, holdout[list(FEATURE_COLUMNS)], max_p95_ms=2_000, repeats=5)
    assert fast.passed and fast.measured > 0

    class Slow:
        def predict(self, frame):
            time.sleep(0.02)
            return np.zeros(len(frame), int)

    slow = check_batch_latency(Slow(), holdout[list(FEATURE_COLUMNS)], max_p95_ms=5, repeats=3)
    assert not slow.passed and slow.measured >= 20


def test_metadata_passes_a_logged_model_and_fails_one_without_signature(
    local_mlflow, good_pipeline, churn_split, model_name
):
    import mlflow

    example = churn_split.train[list(FEATURE_COLUMNS)].head(5)
    client = mlflow.MlflowClient()
    with mlflow.start_run():
        mlflow.sklearn.log_model(
            good_pipeline,
            name="model",
            input_example=example,
            registered_model_name=model_name,
            serialization_format="cloudpickle",
            pip_requirements=PIP_REQUIREMENTS,
        )
    with mlflow.start_run():
        mlflow.sklearn.log_model(
            good_pipeline,
            name="model",
            registered_model_name=model_name,
            serialization_format="cloudpickle",
            pip_requirements=PIP_REQUIREMENTS,
        )
    good = check_metadata(
        mlflow.pyfunc.load_model(f"models:/{model_name}/1"), client.get_model_version(model_name, "1"), client
    )
    assert good.passed, good.detail
    bare = check_metadata(
        mlflow.pyfunc.load_model(f"models:/{model_name}/2"), client.get_model_version(model_name, "2"), client
    )
    assert not bare.passed and "no signature" in bare.detail


def test_failure_details_never_carry_signed_urls_or_tokens(holdout):
    class Leaky:
        def predict(self, frame):
            raise RuntimeError("GET http://127.0.0.1:9/artifacts/model.pkl?sig=s3cr3t&exp=1 with Bearer dapiSECRET")

    result = check_prediction_contract(Leaky(), holdout[list(FEATURE_COLUMNS)])
    assert not result.passed and "http://127.0.0.1:9/artifacts/model.pkl" in result.detail
    assert "s3cr3t" not in result.detail and "dapiSECRET" not in result.detail
