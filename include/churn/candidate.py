"""Test one registered model version before it may enter a stage: the candidate-test notebook's logic.

`run_candidate_tests(event_message, settings)` never raises for bad input or a bad model: every problem becomes
a failed check with a precise reason, so the notebook always exits with its JSON contract.
"""

from __future__ import annotations

import logging
import math
import tempfile

import mlflow
import pandas as pd

from churn.champion import check_champion_comparison, find_champion
from churn.checks import (
    CheckResult,
    _short,
    check_batch_latency,
    check_holdout_quality,
    check_input_schema,
    check_metadata,
    check_prediction_contract,
    check_result,
    check_slice_gaps,
    predict_labels,
    predict_scores,
)
from churn.drift import check_training_data_drift
from churn.metrics import classification_metrics
from churn.report import report_markdown, write_plots, write_report_json
from churn.schema import FEATURE_COLUMNS
from churn.settings import CandidateTestSettings, SettingsError, registry_uri_for
from churn.split import holdout_of
from churn.storage import read_table
from churn_contract.event import EventMessageError, ModelEvent
from churn_contract.results import CandidateTestResult
from churn_contract.unity_catalog import CHECK_TAG_PREFIX, DEFAULT_REGISTRY_MODE

log = logging.getLogger(__name__)


def _stopped(name: str, reason: str, event: ModelEvent | None = None) -> CandidateTestResult:
    """A test that could not run: passed=false whatever the mode (there is nothing to dry-run)."""
    checks = [check_result(name, False, None, None, reason)]
    model = event.model_name if event else "candidate"
    markdown = report_markdown(model, event.version if event else None, False, checks)
    return CandidateTestResult(passed=False, checks=checks, report_markdown=markdown)


def run_candidate_tests(event_message, widgets=None, spark=None, warehouse=None) -> CandidateTestResult:
    """`widgets`: a `CandidateTestSettings` or a `get(name)` callable (the notebook's `dbutils.widgets.get`)."""
    try:
        settings = (
            widgets
            if isinstance(widgets, CandidateTestSettings)
            else (CandidateTestSettings() if widgets is None else CandidateTestSettings.from_widgets(widgets))
        )
    except SettingsError as exc:
        return _stopped("settings", str(exc))
    try:
        event = ModelEvent.parse(event_message)
    except EventMessageError as exc:
        return _stopped("event_message", str(exc))
    registry_uri = registry_uri_for(event.registry or DEFAULT_REGISTRY_MODE, settings.registry_uri)
    mlflow.set_registry_uri(registry_uri)
    client = mlflow.MlflowClient(registry_uri=registry_uri)
    try:
        model_version = client.get_model_version(event.model_name, event.version)
    except Exception as exc:  # noqa: BLE001
        return _stopped("model_version", f"{event.model_name} v{event.version} not found: {_short(exc)}", event)
    try:
        model = mlflow.pyfunc.load_model(f"models:/{event.model_name}/{event.version}")
    except Exception as exc:  # noqa: BLE001
        return _stopped("model_load", f"cannot load models:/{event.model_name}/{event.version}: {_short(exc)}", event)
    try:
        holdout = holdout_of(read_table(settings.source_table, warehouse=warehouse, spark=spark), settings.target_col)
    except Exception as exc:  # noqa: BLE001
        return _stopped("holdout_data", f"no holdout from {settings.source_table}: {_short(exc)}", event)
    try:
        champion = find_champion(client, event)
    except Exception as exc:  # noqa: BLE001
        return _stopped("champion", f"cannot look up the champion of {event.model_name}: {_short(exc)}", event)
    champion_version = str(champion.version) if champion else None
    champion_model = None
    if champion_version and champion_version != event.version:
        try:
            champion_model = mlflow.pyfunc.load_model(f"models:/{event.model_name}/{champion_version}")
        except Exception as exc:  # noqa: BLE001 - the comparison check reports it
            log.warning("champion v%s cannot be loaded: %s", champion_version, _short(exc))
    try:
        drift = check_training_data_drift(client, model_version, champion, settings.max_psi, spark, warehouse)
    except Exception as exc:  # noqa: BLE001 - a drift that cannot be measured is reported, never raised
        drift = check_result("data_drift", False, None, settings.max_psi, f"drift not measured: {_short(exc)}")
    if settings.experiment_name:
        mlflow.set_experiment(settings.experiment_name)
    return _evaluate(event, settings, client, model_version, model, holdout, champion_version, champion_model, drift)


def _evaluate(event, settings, client, model_version, model, holdout, champion_version, champion_model, drift):
    features = holdout[list(FEATURE_COLUMNS)]
    y_true = holdout[settings.target_col].to_numpy()
    with mlflow.start_run(run_name=f"test {event.model_name} v{event.version}") as run:
        mlflow.log_params(
            {
                "model_name": event.model_name,
                "version": event.version,
                "to_stage": event.to_stage or "",
                "registry": event.registry,
                "mode": settings.mode,
                "source_table": settings.source_table,
                "holdout_rows": len(holdout),
                "champion_version": champion_version or "none",
                **settings.thresholds(),
            }
        )
        y_pred, y_score, metrics = _scores(model, features, y_true)
        unusable = "model cannot predict the holdout (see prediction_contract)"
        checks = [
            check_input_schema(model),
            check_prediction_contract(model, features),
            check_result("holdout_quality", False, None, None, unusable)
            if y_pred is None
            else check_holdout_quality(y_true, y_pred, y_score, settings.min_f1, settings.min_roc_auc),
            check_champion_comparison(
                model,
                event.version,
                champion_model,
                champion_version,
                holdout,
                settings.max_f1_drop,
                settings.target_col,
            ),
            drift,
            check_result("slice_gaps", False, None, settings.max_slice_gap, unusable)
            if y_pred is None
            else check_slice_gaps(holdout, y_pred, settings.max_slice_gap, settings.target_col),
        ]
        checks.append(check_batch_latency(model, features, settings.max_p95_latency_ms))
        checks.append(check_metadata(model, model_version, client))
        _add_check_metrics(metrics, checks)
        all_passed = all(c.passed for c in checks)
        passed = all_passed or settings.mode == "dry_run"
        markdown = report_markdown(event.model_name, event.version, all_passed, checks, settings.mode, run.info.run_id)
        outcome = CandidateTestResult(
            passed=passed,
            checks=checks,
            metrics={k: v for k, v in metrics.items() if math.isfinite(v)},  # the exit JSON has no NaN or inf
            champion_version=champion_version,
            evaluation_run_id=run.info.run_id,
            report_markdown=markdown,
        )
        _log_run(outcome, y_true, y_pred, y_score, all_passed)
    _tag_version(client, event, checks, run.info.run_id)
    return outcome


def _scores(model, features: pd.DataFrame, y_true):
    try:
        y_pred = predict_labels(model, features).astype(int)
    except Exception:  # noqa: BLE001 - prediction_contract already reported why
        return None, None, {}
    try:
        y_score = predict_scores(model, features)
    except Exception:  # noqa: BLE001
        y_score = None
    metrics = classification_metrics(y_true, y_pred, y_score)
    metrics["holdout_rows"] = float(len(features))
    return y_pred, y_score, metrics


def _add_check_metrics(metrics: dict, checks: list[CheckResult]) -> None:
    by_name = {c.name: c for c in checks}
    comparison = by_name["champion_comparison"].measured or {}
    if comparison.get("champion_f1") is not None:
        metrics["champion_f1"] = float(comparison["champion_f1"])
    psi = by_name["data_drift"].measured
    if psi:
        metrics["max_feature_psi"] = float(max(psi.values()))
    latency = by_name["batch_latency"].measured
    if isinstance(latency, (int, float)):
        metrics["p95_latency_ms"] = float(latency)
    gaps = by_name.get("slice_gaps")
    if gaps is not None and gaps.measured:
        metrics["max_slice_gap"] = max(v for k, v in gaps.measured.items() if k.endswith("_gap"))
    metrics["checks_passed"] = float(sum(c.passed for c in checks))
    metrics["checks_failed"] = float(sum(not c.passed for c in checks))


def _log_run(outcome: CandidateTestResult, y_true, y_pred, y_score, all_passed: bool) -> None:
    mlflow.log_metrics({k: v for k, v in outcome.metrics.items() if isinstance(v, float) and not math.isnan(v)})
    mlflow.set_tags({"churn.passed": str(all_passed).lower(), "churn.enforced": str(outcome.passed).lower()})
    with tempfile.TemporaryDirectory() as tmp:
        write_report_json(outcome.to_dict(), tmp)
        if y_pred is not None:
            write_plots(y_true, y_pred, y_score, tmp)
        mlflow.log_artifacts(tmp)


def _tag_version(client, event: ModelEvent, checks: list[CheckResult], run_id: str) -> None:
    """One `check.<name>` tag per check on the version (tags only: stages and comments are Airflow's job).

    In Unity Catalog the promotion DAG's validation step records the `check_<name>` tags with the verdict (one
    writer per tag); the notebook only links its evaluation run, as `check_evaluation_run_id` (UC tag keys may not
    contain `.`)."""
    try:
        for check in [] if event.is_unity_catalog else checks:
            client.set_model_version_tag(
                event.model_name, event.version, f"check.{check.name}", "passed" if check.passed else "failed"
            )
        prefix = CHECK_TAG_PREFIX if event.is_unity_catalog else "check."
        client.set_model_version_tag(event.model_name, event.version, f"{prefix}evaluation_run_id", run_id)
    except Exception as exc:  # noqa: BLE001 - results are still returned and logged in the run
        log.warning("could not tag %s v%s: %s", event.model_name, event.version, _short(exc))
