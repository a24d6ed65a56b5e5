"""The candidate test for a Unity Catalog event: the champion is `@champion`, not a stage (private MLflow store;
OSS MLflow has the same aliases and tags as Unity Catalog)."""

from __future__ import annotations

import json
import uuid

import mlflow
import pytest
from sklearn.dummy import DummyClassifier

from churn.candidate import run_candidate_tests
from churn.schema import FEATURE_COLUMNS

from .conftest import fit_pipeline
from .test_candidate import register, settings, warehouse  # noqa: F401 - `warehouse` is a fixture


def uc_event(name: str, version: str, **extra) -> str:
    """The UC sensor's event: no stages."""
    return json.dumps({"event": "MODEL_VERSION_CREATED", "model_name": name, "version": version, **extra})


@pytest.fixture()
def uc_model(local_mlflow, good_pipeline, churn_split):
    """main.churn.<unique>: v1 good and `@champion`, v2 much worse; also v1 in Staging, which UC ignores."""
    name = f"main.churn.model_{uuid.uuid4().hex[:12]}"
    example = churn_split.train[list(FEATURE_COLUMNS)].head(5)
    good = register(good_pipeline, name, example)
    bad = register(fit_pipeline(churn_split.train, estimator=DummyClassifier(strategy="most_frequent")), name, example)
    return {"name": name, "good": good, "bad": bad, "uri": local_mlflow, "client": mlflow.MlflowClient()}


def test_a_uc_candidate_is_compared_with_the_champion_alias(uc_model, warehouse):  # noqa: F811
    client = uc_model["client"]
    client.set_registered_model_alias(uc_model["name"], "champion", uc_model["good"])
    out = run_candidate_tests(
        uc_event(uc_model["name"], uc_model["bad"]), settings(uc_model["uri"]), warehouse=warehouse
    )
    assert not out.passed
    assert out.champion_version == uc_model["good"]
    comparison = next(c for c in out.checks if c.name == "champion_comparison")
    assert not comparison.passed and f"champion v{uc_model['good']}" in comparison.detail
    # The verdict's tags are the promotion DAG's to write in Unity Catalog; the notebook links its run only.
    tags = client.get_model_version(uc_model["name"], uc_model["bad"]).tags
    assert tags == {"check_evaluation_run_id": out.evaluation_run_id}


def test_a_uc_model_without_a_champion_alias_has_no_champion(uc_model, warehouse):  # noqa: F811
    mlflow.MlflowClient().transition_model_version_stage(uc_model["name"], uc_model["good"], "Staging")
    out = run_candidate_tests(
        uc_event(uc_model["name"], uc_model["good"], registry="uc"), settings(uc_model["uri"]), warehouse=warehouse
    )
    assert out.passed, out.report_markdown
    assert out.champion_version is None
    assert next(c for c in out.checks if c.name == "champion_comparison").detail == "no champion"
