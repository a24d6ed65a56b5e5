"""`champion_comparison`: the candidate against the champion: in the workspace registry the version currently in
the target stage, in Unity Catalog the version the alias `champion` points at (`models:/<name>@champion`).

Both models are scored on the same holdout with `mlflow.models.evaluate` (each in a child run of the evaluation
run) and the decision is `mlflow.validate_evaluation_results`: the candidate's F1 must be at least
`champion_f1 * (1 - max_f1_drop)`.
"""

from __future__ import annotations

import warnings

import mlflow
import pandas as pd
from mlflow.models import MetricThreshold
from mlflow.models.evaluation.validation import ModelValidationFailedException

from churn.checks import CheckResult, _short, check_result
from churn.schema import TARGET_COL
from churn_contract.event import ModelEvent
from churn_contract.unity_catalog import CHAMPION_ALIAS

CHAMPION_STAGES = ("Staging", "Production")
_EVALUATOR_CONFIG = {"log_model_explainability": False, "pos_label": 1}


def find_champion(client, event: ModelEvent):
    """The version the candidate of `event` is compared with, or None: `@champion` in Unity Catalog, else the
    newest version in the event's target stage."""
    if event.is_unity_catalog:
        return champion_by_alias(client, event.model_name)
    return find_stage_champion(client, event.model_name, event.to_stage)


def champion_by_alias(client, model_name: str):
    """The version `models:/<model_name>@champion` resolves to, or None when no version holds the alias."""
    try:
        return client.get_model_version_by_alias(model_name, CHAMPION_ALIAS)
    except mlflow.exceptions.MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE"):
            # No champion yet (MLflow answers an unknown alias with one of these, depending on the store).
            return None
        raise


def find_stage_champion(client, model_name: str, stage: str | None):
    """The newest version currently in `stage`, or None."""
    if stage not in CHAMPION_STAGES:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stages are deprecated in OSS MLflow, current on the workspace registry
        versions = client.get_latest_versions(model_name, stages=[stage])
    return max(versions, key=lambda v: int(v.version)) if versions else None


def evaluate_f1(model, data: pd.DataFrame, label: str, target_col: str = TARGET_COL):
    """`mlflow.models.evaluate` in a child run named `label`; returns the EvaluationResult."""
    with mlflow.start_run(run_name=label, nested=True):
        return mlflow.models.evaluate(
            model,
            data,
            targets=target_col,
            model_type="classifier",
            evaluators="default",
            evaluator_config=_EVALUATOR_CONFIG,
        )


def check_champion_comparison(
    candidate_model,
    candidate_version: str,
    champion_model,
    champion_version: str | None,
    data: pd.DataFrame,
    max_f1_drop: float,
    target_col: str = TARGET_COL,
) -> CheckResult:
    name = "champion_comparison"
    if champion_version is None:
        return check_result(name, True, None, max_f1_drop, "no champion")
    if str(champion_version) == str(candidate_version):
        return check_result(
            name, True, None, max_f1_drop, f"candidate version {candidate_version} is already the champion"
        )
    if champion_model is None:
        return check_result(name, False, None, max_f1_drop, f"champion version {champion_version} could not be loaded")
    try:
        candidate = evaluate_f1(candidate_model, data, f"candidate v{candidate_version}", target_col)
        champion = evaluate_f1(champion_model, data, f"champion v{champion_version}", target_col)
    except Exception as exc:  # noqa: BLE001 - an evaluation that cannot run is a failed comparison
        return check_result(name, False, None, max_f1_drop, f"evaluation failed: {_short(exc)}")
    cand_f1, champ_f1 = candidate.metrics.get("f1_score"), champion.metrics.get("f1_score")
    floor = None if champ_f1 is None else champ_f1 * (1 - max_f1_drop)
    measured = {"candidate_f1": cand_f1, "champion_f1": champ_f1, "min_f1": floor}
    try:
        mlflow.validate_evaluation_results(
            validation_thresholds={"f1_score": MetricThreshold(threshold=floor, greater_is_better=True)},
            candidate_result=candidate,
            baseline_result=champion,
        )
    except Exception as exc:  # noqa: BLE001 - ModelValidationFailedException carries the readable reason
        detail = f"F1 {cand_f1:.3f} vs champion v{champion_version} {champ_f1:.3f}: more than {max_f1_drop:.0%} lower"
        if not isinstance(exc, ModelValidationFailedException):
            detail = f"validation failed: {_short(exc)}"
        return check_result(name, False, measured, max_f1_drop, detail)
    return check_result(
        name,
        True,
        measured,
        max_f1_drop,
        f"F1 {cand_f1:.3f} vs champion v{champion_version} {champ_f1:.3f} (allowed drop {max_f1_drop:.0%})",
    )
