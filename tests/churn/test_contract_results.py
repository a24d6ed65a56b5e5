"""The notebooks' exit values: what the producer (the notebook code) writes, the consumer (the DAG side) reads."""

from __future__ import annotations

import json
import math

import pytest
from pydantic import ValidationError

from churn_contract import results as producer
from churn_pipeline import results as consumer

TRAINING = {"model_name": "churn", "version": "3", "run_id": "r1", "n_rows": 100, "automl_backend": "flaml"}
CHECK = {"name": "min_auc", "passed": True, "measured": 0.9, "threshold": 0.7, "detail": "ok"}
CANDIDATE = {"passed": True, "checks": [CHECK], "champion_version": "2", "evaluation_run_id": "e1"}
RESULTS = [
    (producer.TrainingResult, consumer.TrainingResult, TRAINING),
    (producer.CandidateTestResult, consumer.CandidateTestResult, CANDIDATE),
]


@pytest.mark.parametrize(("writer", "reader", "fields"), RESULTS)
def test_finite_metrics_round_trip(writer, reader, fields):
    written = writer(**fields, metrics={"auc": 0.91, "f1": 0.5}).to_json()
    assert reader.parse(json.loads(written)).metrics == {"auc": 0.91, "f1": 0.5}


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize(("writer", "reader", "fields"), RESULTS)
def test_a_non_finite_metric_is_refused_by_the_writer_not_the_reader(writer, reader, fields, value):
    """JSON has no inf: written, it would become null, which the DAG side refuses. The notebook fails instead,
    naming the metric, and never exits with a value the DAG cannot read."""
    try:
        written = writer(**fields, metrics={"auc": value}).to_json()
    except ValidationError as exc:
        assert "metrics.auc" in str(exc) and "finite number" in str(exc)
        return
    reader.parse(json.loads(written))  # the producer wrote it: the consumer must take it
    pytest.fail(f"the writer accepted a non-finite metric and wrote {written}")


def test_null_from_an_older_notebook_still_parses():
    training = consumer.TrainingResult.parse({**TRAINING, "metrics": {"auc": 0.9}, "automl_backend": None})
    assert training.automl_backend == "unknown"
    candidate = consumer.CandidateTestResult.parse({**CANDIDATE, "checks": [{**CHECK, "detail": None}]})
    assert candidate.checks[0].detail == ""
