"""AutoML retraining: Databricks AutoML on an ML runtime, FLAML (LightGBM and friends) everywhere else.

Both backends train on the same deterministic split (`churn.split`), log every trial, a logistic-regression
baseline and validation/holdout metrics to one MLflow run, and register the best model under `model_name`.
The registered model is a plain scikit-learn pipeline (one-hot encoding + estimator): its pyfunc predicts
integer labels {0, 1} for the 10 input columns, and `predict_proba` is available through the sklearn flavor.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass

import mlflow
import numpy as np
import pandas as pd
from pydantic import Field
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from churn.lineage import log_training_data
from churn.metrics import classification_metrics, prefixed
from churn.schema import CATEGORICAL_FEATURES, FEATURE_COLUMNS, NUMERIC_FEATURES, TARGET_COL
from churn.split import Split, split_table
from churn_contract.options import DEFAULT_PRIMARY_METRIC, PRIMARY_METRICS
from churn_contract.results import TrainingData, TrainingResult
from churn_contract.unity_catalog import (
    DEFAULT_REGISTRY_MODE,
    PENDING,
    REGISTRY_MODES,
    VALIDATION_STATUS_TAG,
    RegistryMode,
)

# Label metrics whose best decision threshold is not 0.5 on imbalanced data: tuned on the validation split.
THRESHOLD_TUNED_METRICS = ("f1", "accuracy")
FLAML_ESTIMATORS = ("lgbm", "rf", "extra_tree")
DATABRICKS_AUTOML_MIN_MINUTES = 5


@dataclass(frozen=True)
class TrainingConfig:
    model_name: str
    target_col: str = TARGET_COL
    primary_metric: str = DEFAULT_PRIMARY_METRIC
    timeout_minutes: float = 0.25
    seed: int = 42
    estimators: tuple[str, ...] = FLAML_ESTIMATORS
    backend: str = "auto"  # auto | flaml | databricks
    registry: RegistryMode = (
        DEFAULT_REGISTRY_MODE  # workspace | uc: where `model_name` lives (the registry URI says how)
    )

    def __post_init__(self):
        if not isinstance(self.model_name, str) or not self.model_name.strip():
            raise ValueError("model_name must be a non-empty string")
        if self.primary_metric not in PRIMARY_METRICS:
            raise ValueError(f"primary_metric must be one of {list(PRIMARY_METRICS)}, got {self.primary_metric!r}")
        if not (isinstance(self.timeout_minutes, (int, float)) and 0 < self.timeout_minutes <= 24 * 60):
            raise ValueError(f"timeout_minutes must be a number in (0, 1440], got {self.timeout_minutes!r}")
        if self.registry not in REGISTRY_MODES:
            raise ValueError(f"registry must be one of {list(REGISTRY_MODES)}, got {self.registry!r}")
        if self.backend not in ("auto", "flaml", "databricks"):
            raise ValueError(f"backend must be auto, flaml or databricks, got {self.backend!r}")


class TrainingRun(TrainingResult):
    """The retraining notebook's exit value (`TrainingResult`, what `to_json()` writes) plus what the notebook
    prints about the search."""

    trials: int = Field(0, exclude=True)
    split_sizes: dict[str, int] = Field(default_factory=dict, exclude=True)


def databricks_automl_available() -> bool:
    try:
        from databricks import automl  # type: ignore[attr-defined]  # noqa: F401 - only on a Databricks ML runtime
    except ImportError:
        return False
    return True


def make_preprocessor() -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(CATEGORICAL_FEATURES)),
            ("numeric", "passthrough", list(NUMERIC_FEATURES)),
        ]
    )


def baseline_pipeline(seed: int) -> Pipeline:
    scaled = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(CATEGORICAL_FEATURES)),
            ("numeric", StandardScaler(), list(NUMERIC_FEATURES)),
        ]
    )
    return Pipeline([("prep", scaled), ("model", LogisticRegression(max_iter=1000, random_state=seed))])


def evaluate_pipeline(model, split: Split, target_col: str) -> dict[str, float]:
    """Validation and holdout metrics (`val_f1`, `holdout_roc_auc`, ...)."""
    metrics: dict[str, float] = {}
    for part, frame in (("val", split.validation), ("holdout", split.holdout)):
        X = frame[list(FEATURE_COLUMNS)]
        metrics.update(
            prefixed(part, classification_metrics(frame[target_col], model.predict(X), model.predict_proba(X)[:, 1]))
        )
    return metrics


def train_and_register(
    table: pd.DataFrame, config: TrainingConfig, training_data: TrainingData | None = None
) -> TrainingRun:
    """Train on `table` (the raw churn table), log everything to a new MLflow run, register the best model.

    `training_data` says where `table` came from (`churn.lineage.load_training_data`): logged as the run's input.
    """
    split = split_table(table, config.target_col)
    backend = _choose_backend(config.backend)
    with mlflow.start_run(run_name=f"retrain {config.model_name}") as run:
        if training_data is not None:
            log_training_data(table, training_data, config.target_col)
        mlflow.log_params(
            {
                "automl_backend": backend,
                "primary_metric": config.primary_metric,
                "timeout_minutes": config.timeout_minutes,
                "seed": config.seed,
                "n_rows": len(table),
                **{f"split_{k}_rows": v for k, v in split.sizes.items()},
            }
        )
        baseline = _log_baseline(split, config)
        if backend == "databricks":
            model, version, trials = _train_databricks_automl(split, config)
        else:
            model, version, trials = _train_flaml(split, config)
        metrics = evaluate_pipeline(model, split, config.target_col)
        metrics.update(prefixed("baseline", baseline))
        metrics["automl_gain_holdout_f1"] = metrics["holdout_f1"] - baseline["holdout_f1"]
        mlflow.log_metrics({k: v for k, v in metrics.items() if not math.isnan(v)})
        mlflow.set_tags({"churn.model_name": config.model_name, "churn.model_version": version})
    if config.registry == "uc":
        # Unity Catalog has no transition requests: the tag is what marks a version as waiting for its tests
        # (the promotion DAG's sensor looks for it). Notebooks may tag versions; every other change is Airflow's.
        mlflow.MlflowClient().set_model_version_tag(config.model_name, version, VALIDATION_STATUS_TAG, PENDING)
    return TrainingRun(
        model_name=config.model_name,
        version=version,
        run_id=run.info.run_id,
        metrics={k: round(v, 6) for k, v in metrics.items() if not math.isnan(v)},  # exit JSON has no NaN
        n_rows=len(table),
        automl_backend=backend,
        training_data=training_data,
        registry=config.registry,
        trials=trials,
        split_sizes=split.sizes,
    )


def _choose_backend(requested: str) -> str:
    if requested == "databricks" and not databricks_automl_available():
        raise RuntimeError("backend 'databricks' needs a Databricks ML runtime (databricks.automl not importable)")
    if requested == "auto":
        return "databricks" if databricks_automl_available() else "flaml"
    return requested


def _log_baseline(split: Split, config: TrainingConfig) -> dict[str, float]:
    """Logistic regression on the same split, in a child run: every retraining shows what AutoML gained."""
    model = baseline_pipeline(config.seed).fit(split.train[list(FEATURE_COLUMNS)], split.train[config.target_col])
    if config.primary_metric in THRESHOLD_TUNED_METRICS:
        model = _tune_threshold(model, split, config, log_as=None)  # same treatment as the AutoML model
    metrics = evaluate_pipeline(model, split, config.target_col)
    with mlflow.start_run(run_name="logistic_regression_baseline", nested=True):
        mlflow.log_params({"estimator": "LogisticRegression", "max_iter": 1000})
        mlflow.log_metrics({k: v for k, v in metrics.items() if not math.isnan(v)})
    return metrics


def _log_trials(log_path: str) -> int:
    """Every FLAML trial as a step of `trial_*` metrics, plus the raw log as an artifact."""
    with open(log_path) as handle:
        records = [json.loads(line) for line in handle if line.strip().startswith("{")]
    records = [r for r in records if "validation_loss" in r]
    client = mlflow.MlflowClient()
    active = mlflow.active_run()
    if active is None:
        raise RuntimeError("trials are logged to the active retraining run, and there is none")
    run_id = active.info.run_id
    timestamp = int(pd.Timestamp.now("UTC").timestamp() * 1000)
    metrics, best = [], math.inf
    for step, record in enumerate(records):
        loss = float(record["validation_loss"])
        best = min(best, loss)
        metrics.append(mlflow.entities.Metric("trial_validation_loss", loss, timestamp, step))
        metrics.append(mlflow.entities.Metric("trial_best_validation_loss", best, timestamp, step))
        metrics.append(
            mlflow.entities.Metric("trial_wall_clock_seconds", float(record.get("wall_clock_time", 0)), timestamp, step)
        )
    for start in range(0, len(metrics), 900):  # log_batch takes at most 1000 metrics
        client.log_batch(run_id, metrics=metrics[start : start + 900])
    summary = [
        {"trial": i, "learner": r.get("learner"), "validation_loss": r["validation_loss"], "config": r.get("config")}
        for i, r in enumerate(records)
    ]
    mlflow.log_dict(summary, "automl/trials.json")  # type: ignore[arg-type]  # any JSON value; annotated dict
    return len(records)


def _train_flaml(split: Split, config: TrainingConfig):
    # Heavy import, FLAML path only. flaml imports xgboost at module level: the project installs the small
    # CPU-only `xgboost-cpu` wheel for that (flaml[automl] would pull xgboost's CUDA libraries).
    from flaml import AutoML

    features = list(FEATURE_COLUMNS)
    prep = make_preprocessor().fit(split.train[features])
    X_train, X_val = prep.transform(split.train[features]), prep.transform(split.validation[features])
    y_train = split.train[config.target_col].to_numpy()
    y_val = split.validation[config.target_col].to_numpy()
    automl = AutoML()
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "flaml_trials.jsonl")
        automl.fit(
            X_train=X_train,
            y_train=y_train,
            X_val=X_val,
            y_val=y_val,
            task="classification",
            # FLAML knows every primary metric by its Databricks AutoML name, except precision.
            metric=_precision_loss if config.primary_metric == "precision" else config.primary_metric,
            time_budget=config.timeout_minutes * 60,
            estimator_list=list(config.estimators),
            eval_method="holdout",
            retrain_full=False,  # keep the model trained on train only: validation and holdout stay unseen
            log_file_name=log_path,
            mlflow_logging=False,  # trials are logged below as metrics, one batch call
            seed=config.seed,
            n_jobs=os.cpu_count() or 1,
            verbose=0,
        )
        trials = _log_trials(log_path)
    if automl.model is None:
        raise RuntimeError(f"FLAML found no model within {config.timeout_minutes} minutes: raise timeout_minutes")
    pipeline = Pipeline([("prep", prep), ("model", automl.model.estimator)])
    if config.primary_metric in THRESHOLD_TUNED_METRICS:
        pipeline = _tune_threshold(pipeline, split, config)
    mlflow.log_params({"best_estimator": automl.best_estimator, "trials": trials})
    mlflow.log_dict({"estimator": automl.best_estimator, "config": automl.best_config}, "automl/best_config.json")
    version = _log_and_register(pipeline, split, config)
    return pipeline, version, trials


def _precision_loss(X_val, y_val, estimator, *args, **kwargs):
    """FLAML custom metric: minimise 1 - precision on the validation split."""
    from sklearn.metrics import precision_score

    precision = precision_score(y_val, estimator.predict(X_val), zero_division=0)
    return 1.0 - precision, {"precision": precision}


def _tune_threshold(
    pipeline: Pipeline, split: Split, config: TrainingConfig, log_as: str | None = "decision_threshold"
):
    """Pick the decision threshold that maximises the primary metric on the validation split (model not refit).

    Churners are ~20 %: at 0.5 a good model under-predicts churn and F1 suffers. The holdout stays untouched, so
    holdout metrics remain an honest estimate.
    """
    from sklearn.model_selection import TunedThresholdClassifierCV

    tuned = TunedThresholdClassifierCV(pipeline, scoring=config.primary_metric, cv="prefit", refit=False)
    tuned.fit(split.validation[list(FEATURE_COLUMNS)], split.validation[config.target_col])
    if log_as:
        mlflow.log_param(log_as, round(float(tuned.best_threshold_), 4))
    return tuned


def _log_and_register(pipeline, split: Split, config: TrainingConfig) -> str:
    import lightgbm
    import sklearn
    import skops.io
    from mlflow.models import infer_signature

    example = split.train[list(FEATURE_COLUMNS)].head(5)
    # skops (MLflow's default, no arbitrary pickle code) refuses non-sklearn types unless named: we name exactly
    # the types of the pipeline we just built (e.g. LightGBM's booster), nothing more.
    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))
    signature = infer_signature(example, pipeline.predict(example))
    info = mlflow.sklearn.log_model(
        pipeline,
        name="model",
        signature=signature,
        input_example=example,
        # Pinned explicitly: inferring requirements would spawn a subprocess and cost seconds.
        pip_requirements=[
            f"mlflow=={mlflow.__version__}",
            f"scikit-learn=={sklearn.__version__}",
            f"lightgbm=={lightgbm.__version__}",
            f"pandas=={pd.__version__}",
            f"numpy=={np.__version__}",
        ],
        skops_trusted_types=trusted,
        registered_model_name=config.model_name,
    )
    return str(info.registered_model_version)


def _train_databricks_automl(split: Split, config: TrainingConfig):
    from databricks import automl  # type: ignore[attr-defined]  # only on a Databricks ML runtime

    # AutoML does its own train/validation split of what we give it; the holdout stays out.
    dataset = pd.concat([split.train, split.validation], ignore_index=True)
    summary = automl.classify(
        dataset=dataset,
        target_col=config.target_col,
        primary_metric=config.primary_metric,
        timeout_minutes=max(DATABRICKS_AUTOML_MIN_MINUTES, math.ceil(config.timeout_minutes)),
    )
    model_uri = summary.best_trial.model_path
    pipeline = mlflow.sklearn.load_model(model_uri)
    version = mlflow.register_model(model_uri, config.model_name).version
    mlflow.log_params({"best_trial_run_id": summary.best_trial.mlflow_run_id, "trials": len(summary.trials)})
    return pipeline, str(version), len(summary.trials)
