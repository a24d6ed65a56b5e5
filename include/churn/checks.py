"""Named candidate checks. Each returns a `CheckResult`; none raises on a bad model (that is a failed check).

The model argument is an `mlflow.pyfunc.PyFuncModel`; probabilities come from the sklearn flavor's raw model
when it has `predict_proba` (see `predict_scores`).
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

import numpy as np
import pandas as pd

from churn.metrics import classification_metrics
from churn.schema import FEATURE_COLUMNS, FEATURE_TYPES, TARGET_COL
from churn_contract.results import CheckResult

SLICE_COLUMNS = ("Geography", "Gender")
LATENCY_ROWS = 1_000


def check_result(name: str, passed: Any, measured: Any = None, threshold: Any = None, detail: str = "") -> CheckResult:
    """A check's outcome as the exit contract holds it: plain JSON values (numpy scalars converted, floats rounded
    to 6 digits, NaN as null)."""
    return CheckResult(
        name=name, passed=bool(passed), measured=_json_safe(measured), threshold=_json_safe(threshold), detail=detail
    )


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else round(float(value), 6)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


_URL_QUERY = re.compile(r"(https?://[^\s?'\"]+)\?[^\s'\"]+")
_BEARER = re.compile(r"(?i)(bearer\s+|token[=:]\s*)[^\s'\",]+")


def _short(exc: BaseException, limit: int = 300) -> str:
    """One line for a report: URL query strings (signed download links) and tokens are redacted."""
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
    text = _BEARER.sub(r"\1<redacted>", _URL_QUERY.sub(r"\1?<redacted>", text))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_input_schema(model) -> CheckResult:
    """The signature's inputs are exactly the 10 features with their types (names are case-sensitive)."""
    expected = dict(FEATURE_TYPES)
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return check_result("input_schema", False, None, expected, "model has no named input signature")
    actual = {spec.name: getattr(spec.type, "name", str(spec.type)) for spec in schema.inputs}
    problems = []
    lower_actual = {name.lower(): name for name in actual}
    for name, kind in expected.items():
        if name not in actual:
            near = lower_actual.get(name.lower())
            problems.append(f"missing {name}" + (f" (found {near!r}: names are case-sensitive)" if near else ""))
        elif actual[name] != kind:
            problems.append(f"{name} is {actual[name]}, expected {kind}")
    for name in actual:
        if name not in expected and name.lower() not in {e.lower() for e in expected}:
            problems.append(f"unexpected column {name}")
    return check_result(
        "input_schema",
        not problems,
        actual,
        expected,
        "; ".join(problems) if problems else "10 inputs with the expected names and types",
    )


def raw_predict_proba(model):
    """The positive-class probability function of the underlying model, or None if it has none."""
    try:
        raw = model.get_raw_model()
    except Exception:  # noqa: BLE001 - pyfunc flavors without a raw model simply have no probabilities
        return None
    proba = getattr(raw, "predict_proba", None)
    return proba if callable(proba) else None


def predict_labels(model, features: pd.DataFrame) -> np.ndarray:
    """`model.predict` flattened to one value per row (DataFrame/Series/2-D single column accepted)."""
    output = model.predict(features)
    if isinstance(output, pd.DataFrame):
        if output.shape[1] != 1:
            raise ValueError(f"model returned {output.shape[1]} columns, expected one label per row")
        output = output.iloc[:, 0]
    values = np.asarray(output)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"model returned shape {values.shape}, expected one label per row")
    return values


def predict_scores(model, features: pd.DataFrame) -> np.ndarray | None:
    proba = raw_predict_proba(model)
    if proba is None:
        return None
    scores = np.asarray(proba(features[list(FEATURE_COLUMNS)]))
    return scores[:, 1] if scores.ndim == 2 else scores


def check_prediction_contract(model, features: pd.DataFrame) -> CheckResult:
    """One integer label per row, every label 0 or 1; probabilities (when available) in [0, 1]."""
    threshold = {"labels": [0, 1], "dtype": "integer", "probabilities": "[0, 1]"}
    try:
        labels = predict_labels(model, features)
    except Exception as exc:  # noqa: BLE001 - a model that cannot predict fails this check
        return check_result("prediction_contract", False, None, threshold, f"predict failed: {_short(exc)}")
    measured = {
        "rows": int(len(labels)),
        "dtype": str(labels.dtype),
        "labels": sorted({str(v) for v in labels[:100_000]})[:10],
    }
    problems = []
    if len(labels) != len(features):
        problems.append(f"{len(labels)} predictions for {len(features)} rows")
    if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == np.bool_):
        sample = ", ".join(repr(v) for v in list(dict.fromkeys(labels.tolist()))[:3])
        problems.append(f"labels are {labels.dtype} ({sample}), expected integers")
    elif not set(np.unique(labels).tolist()) <= {0, 1}:
        problems.append(f"labels {sorted(np.unique(labels).tolist())[:10]} are not all in {{0, 1}}")
    try:
        scores = predict_scores(model, features)
    except Exception as exc:  # noqa: BLE001
        scores, problems = None, [*problems, f"predict_proba failed: {_short(exc)}"]
    if scores is not None:
        measured["probability_range"] = [float(np.min(scores)), float(np.max(scores))]
        if len(scores) != len(features) or np.isnan(scores).any() or scores.min() < 0 or scores.max() > 1:
            problems.append(f"probabilities outside [0, 1] or not one per row (range {measured['probability_range']})")
    detail = "; ".join(problems) or (
        "integer labels in {0, 1}, one per row"
        + ("; probabilities in [0, 1]" if scores is not None else "; no probabilities")
    )
    return check_result("prediction_contract", not problems, measured, threshold, detail)


def check_holdout_quality(y_true, y_pred, y_score, min_f1: float, min_roc_auc: float) -> CheckResult:
    """F1 and ROC-AUC on rows the model never saw (AUC from hard labels when there are no probabilities)."""
    metrics = classification_metrics(y_true, y_pred, y_score)
    threshold = {"f1": min_f1, "roc_auc": min_roc_auc}
    measured = {"f1": metrics["f1"], "roc_auc": metrics["roc_auc"]}
    problems = []
    if metrics["f1"] < min_f1:
        problems.append(f"F1 {metrics['f1']:.3f} < {min_f1}")
    if not metrics["roc_auc"] >= min_roc_auc:
        problems.append(f"ROC-AUC {metrics['roc_auc']:.3f} < {min_roc_auc}")
    basis = "" if y_score is not None else " (no probabilities: ROC-AUC from hard labels)"
    detail = (
        "; ".join(problems) or f"F1 {metrics['f1']:.3f}, ROC-AUC {metrics['roc_auc']:.3f} on {len(y_pred)} holdout rows"
    )
    return check_result("holdout_quality", not problems, measured, threshold, detail + basis)


def check_slice_gaps(frame: pd.DataFrame, y_pred, max_gap: float, target_col: str = TARGET_COL) -> CheckResult:
    """Largest F1 / recall difference between the groups of Geography and of Gender."""
    y_pred = np.asarray(y_pred).astype(int)
    measured: dict[str, Any] = {}
    worst, worst_at = 0.0, ""
    for column in SLICE_COLUMNS:
        per_group = {}
        for group in sorted(frame[column].dropna().unique()):
            mask = (frame[column] == group).to_numpy()
            if frame.loc[mask, target_col].sum() == 0:
                continue  # no positives: recall and F1 are undefined for this group
            m = classification_metrics(frame.loc[mask, target_col], y_pred[mask])
            per_group[str(group)] = {"f1": round(m["f1"], 4), "recall": round(m["recall"], 4), "rows": int(mask.sum())}
        for metric in ("f1", "recall"):
            values = [g[metric] for g in per_group.values()]
            gap = max(values) - min(values) if len(values) > 1 else 0.0
            measured[f"{column}.{metric}_gap"] = round(gap, 4)
            if gap > worst:
                worst, worst_at = gap, f"{column} {metric}"
        measured[column] = per_group
    passed = worst <= max_gap
    detail = f"largest gap {worst:.3f} ({worst_at or 'none'})" + ("" if passed else f" > {max_gap}")
    return check_result("slice_gaps", passed, measured, max_gap, detail)


def check_batch_latency(
    model, features: pd.DataFrame, max_p95_ms: float, repeats: int = 20, seed: int = 0
) -> CheckResult:
    """p95 wall time of `model.predict` on 1,000 rows (sampled from `features`, with replacement if fewer)."""
    rng = np.random.default_rng(seed)
    batch = features.iloc[rng.choice(len(features), LATENCY_ROWS, replace=len(features) < LATENCY_ROWS)]
    batch = batch.reset_index(drop=True)
    try:
        model.predict(batch)  # warm-up: first call pays lazy imports and schema caching
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            model.predict(batch)
            timings.append((time.perf_counter() - start) * 1000)
    except Exception as exc:  # noqa: BLE001
        return check_result("batch_latency", False, None, max_p95_ms, f"predict failed: {_short(exc)}")
    p95 = float(np.percentile(timings, 95))
    passed = p95 <= max_p95_ms
    detail = f"p95 {p95:.1f} ms for {LATENCY_ROWS} rows over {repeats} runs" + ("" if passed else f" > {max_p95_ms} ms")
    return check_result("batch_latency", passed, round(p95, 3), max_p95_ms, detail)


def check_metadata(model, model_version, client) -> CheckResult:
    """Signature present (inputs and outputs); the version's source run exists and holds the model artifacts."""
    problems: list[str] = []
    measured: dict[str, Any] = {}
    signature = model.metadata.signature
    measured["signature"] = signature is not None and signature.inputs is not None and signature.outputs is not None
    if not measured["signature"]:
        problems.append("no signature with inputs and outputs")
    run_id = getattr(model_version, "run_id", None)
    measured["run_id"] = run_id
    if not run_id:
        problems.append("model version has no source run")
    else:
        try:
            client.get_run(run_id)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"source run {run_id} not readable: {_short(exc)}")
        else:
            files = _model_files(model_version)
            measured["model_files"] = files[:20]
            if "MLmodel" not in files:
                problems.append(f"source run {run_id} has no MLmodel artifact for this version")
    detail = "; ".join(problems) or f"signature present; source run {run_id} holds the model artifacts"
    return check_result("metadata", not problems, measured, "signature + source run with MLmodel", detail)


def _model_files(model_version) -> list[str]:
    """File names at the root of the version's model artifacts (its run-relative or logged-model source)."""
    import mlflow

    names: list[str] = []
    for uri in (model_version.source, f"models:/{model_version.name}/{model_version.version}"):
        try:
            names = [item.path.rsplit("/", 1)[-1] for item in mlflow.artifacts.list_artifacts(artifact_uri=uri)]
        except Exception:  # noqa: BLE001 - try the registry's own listing next
            continue
        if names:
            break
    return names
