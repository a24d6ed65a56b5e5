"""The candidate-test flow end to end against a private MLflow store: verdicts, champion, tags, run artifacts."""

from __future__ import annotations

import json

import mlflow
import pytest
from sklearn.dummy import DummyClassifier

from churn.candidate import run_candidate_tests
from churn.schema import FEATURE_COLUMNS, TABLE_NAME
from churn.settings import CandidateTestSettings
from churn.storage import write_table

from .conftest import PIP_REQUIREMENTS, fit_pipeline

CHECK_NAMES = [
    "input_schema",
    "prediction_contract",
    "holdout_quality",
    "champion_comparison",
    "data_drift",
    "slice_gaps",
    "batch_latency",
    "metadata",
]


@pytest.fixture()
def warehouse(tmp_path, churn_table):
    write_table(churn_table, TABLE_NAME, tmp_path)
    return tmp_path


def register(pipeline, name, example):
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            pipeline,
            name="model",
            input_example=example,
            registered_model_name=name,
            serialization_format="cloudpickle",
            pip_requirements=PIP_REQUIREMENTS,
        )
    return str(info.registered_model_version)


def event(name, version, to_stage="Staging"):
    return json.dumps(
        {
            "event": "TRANSITION_REQUEST_TO_STAGING_CREATED",
            "model_name": name,
            "version": version,
            "to_stage": to_stage,
            "from_stage": "None",
            "event_timestamp": 1,
            "text": "",
        }
    )


def settings(uri, **overrides):
    # Small generated table: relax only the slice gap (few positives per Spain/Gender group).
    return CandidateTestSettings(registry_uri=uri, experiment_name="candidate-tests", max_slice_gap=0.5, **overrides)


@pytest.fixture()
def registry(local_mlflow, model_name, good_pipeline, churn_split):
    """v1 good (in Staging), v2 much worse (predicts 'no churn' for everyone)."""
    example = churn_split.train[list(FEATURE_COLUMNS)].head(5)
    good = register(good_pipeline, model_name, example)
    worse = fit_pipeline(churn_split.train, estimator=DummyClassifier(strategy="most_frequent"))
    bad = register(worse, model_name, example)
    client = mlflow.MlflowClient()
    client.transition_model_version_stage(model_name, good, "Staging")
    return {"name": model_name, "good": good, "bad": bad, "uri": local_mlflow, "client": client}


def test_good_candidate_against_itself_as_champion_passes(registry, warehouse):
    out = run_candidate_tests(event(registry["name"], registry["good"]), settings(registry["uri"]), warehouse=warehouse)
    assert out.passed, out.report_markdown
    assert [c.name for c in out.checks] == CHECK_NAMES
    comparison = out.checks[3]
    assert comparison.passed and "already the champion" in comparison.detail
    assert out.champion_version == registry["good"]


def test_much_worse_candidate_fails_naming_the_checks_and_is_tagged(registry, warehouse):
    out = run_candidate_tests(event(registry["name"], registry["bad"]), settings(registry["uri"]), warehouse=warehouse)
    failed = {c.name for c in out.checks if not c.passed}
    assert not out.passed
    assert {"champion_comparison", "holdout_quality"} <= failed
    assert out.champion_version == registry["good"]
    comparison = next(c for c in out.checks if c.name == "champion_comparison")
    assert comparison.measured is not None, comparison.detail
    assert comparison.measured["champion_f1"] > 0.4 and comparison.measured["candidate_f1"] == 0
    assert "champion_comparison" in out.report_markdown and "FAILED" in out.report_markdown
    assert len(out.report_markdown) < 3_000

    client = registry["client"]
    tags = client.get_model_version(registry["name"], registry["bad"]).tags
    assert tags["check.champion_comparison"] == "failed" and tags["check.input_schema"] == "passed"
    assert tags["check.evaluation_run_id"] == out.evaluation_run_id
    artifacts = {a.path for a in client.list_artifacts(out.evaluation_run_id)}
    assert {"report.json", "confusion_matrix.png", "roc_curve.png"} <= artifacts
    run = client.get_run(out.evaluation_run_id)
    assert run.data.metrics["checks_failed"] >= 2
    # The notebook never moves stages: the champion is still v1 in Staging, the candidate still in None.
    assert client.get_model_version(registry["name"], registry["good"]).current_stage == "Staging"
    assert client.get_model_version(registry["name"], registry["bad"]).current_stage == "None"


def test_comparable_candidate_passes_the_champion_comparison(registry, warehouse, good_pipeline, churn_split):
    again = register(good_pipeline, registry["name"], churn_split.train[list(FEATURE_COLUMNS)].head(5))
    out = run_candidate_tests(event(registry["name"], again), settings(registry["uri"]), warehouse=warehouse)
    comparison = next(c for c in out.checks if c.name == "champion_comparison")
    assert comparison.passed, comparison.detail
    assert comparison.measured["candidate_f1"] == pytest.approx(comparison.measured["champion_f1"])
    assert out.passed


def test_dry_run_reports_failures_but_passes(registry, warehouse):
    out = run_candidate_tests(
        event(registry["name"], registry["bad"]), settings(registry["uri"], mode="dry_run"), warehouse=warehouse
    )
    assert out.passed
    assert any(not c.passed for c in out.checks)
    assert "dry run" in out.report_markdown


def test_no_champion_when_the_target_stage_is_empty(registry, warehouse):
    out = run_candidate_tests(
        event(registry["name"], registry["good"], to_stage="Production"), settings(registry["uri"]), warehouse=warehouse
    )
    assert out.champion_version is None
    assert next(c for c in out.checks if c.name == "champion_comparison").detail == "no champion"


@pytest.mark.parametrize(
    "message, check, reason",
    [
        ("", "event_message", "empty"),
        ('{"model_name": "x"}', "event_message", "version"),
        ("not json", "event_message", "not valid JSON"),
    ],
)
def test_unusable_input_fails_with_the_reason(message, check, reason, local_mlflow):
    out = run_candidate_tests(message, CandidateTestSettings(registry_uri=local_mlflow)).to_dict()
    assert out["passed"] is False
    assert out["checks"] == [
        {"name": check, "passed": False, "measured": None, "threshold": None, "detail": out["checks"][0]["detail"]}
    ]
    assert reason in out["checks"][0]["detail"] and "Traceback" not in out["checks"][0]["detail"]
    assert out["evaluation_run_id"] is None and out["report_markdown"]


def test_unknown_version_missing_table_and_bad_widget(registry, tmp_path):
    missing = run_candidate_tests(event(registry["name"], "99"), settings(registry["uri"]), warehouse=tmp_path)
    assert not missing.passed and missing.checks[0].name == "model_version"
    no_table = run_candidate_tests(
        event(registry["name"], registry["good"]), settings(registry["uri"]), warehouse=tmp_path
    )
    assert (
        not no_table.passed and no_table.checks[0].name == "holdout_data" and "churn.seed" in no_table.checks[0].detail
    )
    widgets = {"min_f1": "high", "mode": "enforce"}
    bad = run_candidate_tests(event(registry["name"], registry["good"]), lambda name: widgets.get(name, "0.5"))
    assert not bad.passed and bad.checks[0].name == "settings" and "min_f1" in bad.checks[0].detail


def test_the_dag_reads_what_the_notebook_writes(registry, warehouse):
    """The real producer's exit JSON through the real consumer (`read_test_result`'s body), passing and failing."""
    from churn_pipeline.steps import validated_test_result

    for version, passed in ((registry["good"], True), (registry["bad"], False)):
        out = run_candidate_tests(event(registry["name"], version), settings(registry["uri"]), warehouse=warehouse)
        read = validated_test_result(json.loads(out.to_json()))
        assert read["passed"] is passed and [c["name"] for c in read["checks"]] == CHECK_NAMES
        assert read["failed_checks"] == [c.name for c in out.checks if not c.passed]
        assert read["evaluation_run_id"] == out.evaluation_run_id and read["report_markdown"] == out.report_markdown
        assert read["metrics"] == pytest.approx(out.metrics)
    stopped = run_candidate_tests("not json", settings(registry["uri"]))
    assert validated_test_result(json.loads(stopped.to_json()))["failed_checks"] == ["event_message"]
