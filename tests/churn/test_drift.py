"""Population stability index on known distributions, and the `data_drift` check's verdicts and report."""

from __future__ import annotations

import json
import math

import mlflow
import numpy as np
import pandas as pd
import pytest

from churn.candidate import run_candidate_tests
from churn.data import generate_churn_data, generate_drifted_batch
from churn.drift import check_data_drift, psi
from churn.lineage import load_training_data, log_training_data
from churn.schema import FEATURE_COLUMNS, TABLE_NAME
from churn.seed import append_month, seed_table

from .conftest import PIP_REQUIREMENTS
from .test_candidate import event, settings


def test_psi_of_identical_distributions_is_zero_and_of_known_shares_is_exact():
    same = pd.Series(["a", "b"] * 500)
    assert psi(same, same) == pytest.approx(0.0)
    shifted = pd.Series(["a"] * 800 + ["b"] * 200)
    expected = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert psi(same, shifted) == pytest.approx(expected)  # 0.416


def test_psi_grows_with_the_shift_of_a_numeric_feature():
    rng = np.random.default_rng(0)
    reference = pd.Series(rng.normal(0, 1, 20_000))
    small = psi(reference, pd.Series(rng.normal(0.05, 1, 20_000)))
    large = psi(reference, pd.Series(rng.normal(1.0, 1, 20_000)))
    assert small < 0.01 < 0.25 < large  # decile bins: a one-sigma shift is a major one (≈ 0.9)


def test_psi_flags_a_new_category_and_nulls():
    reference = pd.Series(["France"] * 900 + ["Spain"] * 100)
    assert psi(reference, pd.Series(["France"] * 900 + ["Italy"] * 100)) > 0.5
    assert psi(pd.Series([1.0] * 50 + list(range(50))), pd.Series([np.nan] * 30 + list(range(70)))) > 0.25


def test_no_champion_passes_and_a_broken_pipeline_fails_naming_the_features():
    base = generate_churn_data(3_000, seed=1)
    alone = check_data_drift(base, None, 0.2, "v1", None)
    assert alone.passed and alone.detail == "no champion to compare"
    stable = check_data_drift(generate_churn_data(3_000, seed=2), base, 0.2, "v2", "v1")
    assert stable.passed and set(stable.measured) == set(FEATURE_COLUMNS) and max(stable.measured.values()) < 0.05
    broken = check_data_drift(generate_drifted_batch(3_000), base, 0.2, "v3", "v1")  # Balance in thousands
    assert not broken.passed and "Balance" in broken.detail and "Age" in broken.detail
    assert broken.threshold == 0.2 and broken.measured["Balance"] > 1


def _register_trained_on(name, pipeline, rows, record):
    with mlflow.start_run():
        log_training_data(rows, record)
        info = mlflow.sklearn.log_model(
            pipeline,
            name="model",
            input_example=rows[list(FEATURE_COLUMNS)].head(5),
            registered_model_name=name,
            serialization_format="cloudpickle",
            pip_requirements=PIP_REQUIREMENTS,
        )
    return str(info.registered_model_version)


def test_candidate_test_compares_the_recorded_training_data_of_both_versions(
    local_mlflow, model_name, good_pipeline, tmp_path
):
    seed_table(tmp_path, rows=3_000)
    warehouse = tmp_path / "warehouse"
    january, january_record = load_training_data(TABLE_NAME, "2025-02-01", warehouse=warehouse)
    champion = _register_trained_on(model_name, good_pipeline, january, january_record)
    mlflow.MlflowClient().transition_model_version_stage(model_name, champion, "Staging")
    append_month(tmp_path)  # a month passes; the next retraining sees it
    february, february_record = load_training_data(TABLE_NAME, "2025-03-01", warehouse=warehouse)
    candidate = _register_trained_on(model_name, good_pipeline, february, february_record)

    out = run_candidate_tests(event(model_name, candidate), settings(local_mlflow), warehouse=warehouse)
    drift = next(c for c in out.checks if c.name == "data_drift")
    assert drift.passed and 0 < max(drift.measured.values()) < 0.2, drift.detail
    assert f"v{candidate}: 5500 rows, 2025-01..2025-02, Delta v1" in drift.detail
    assert f"champion v{champion}: 3000 rows, 2025-01, Delta v0" in drift.detail
    assert "PSI per feature vs the champion's training data: Age" in out.report_markdown
    assert out.metrics["max_feature_psi"] == max(drift.measured.values())

    strict = run_candidate_tests(
        event(model_name, candidate), settings(local_mlflow, max_psi=1e-6), warehouse=warehouse
    )
    assert not strict.passed and "data_drift" in json.loads(strict.to_json())["report_markdown"]
