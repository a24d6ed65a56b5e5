"""Notebook widgets: names, documented defaults, and parsing into typed settings with precise errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from churn.schema import TABLE_NAME, TARGET_COL
from churn.storage import parse_table_name
from churn.training import PRIMARY_METRICS, TrainingConfig

DEFAULT_MODEL_NAME = "Churn Prediction Bank"
# Direct children of /Shared: Databricks creates them without needing a parent folder; locally any name works.
RETRAIN_EXPERIMENT = "/Shared/churn_model_retraining"
TEST_EXPERIMENT = "/Shared/churn_model_candidate_tests"

# widget -> (default, label). Defaults are the documented check thresholds (README "Churn model notebooks").
RETRAIN_WIDGETS: dict[str, tuple[str, str]] = {
    "model_name": (DEFAULT_MODEL_NAME, "Registered model name"),
    "source_table": (TABLE_NAME, "Training table (schema.table)"),
    "target_col": (TARGET_COL, "Label column"),
    "primary_metric": ("f1", "AutoML primary metric"),
    "timeout_minutes": ("0.25", "AutoML time budget (minutes; Databricks AutoML uses at least 5)"),
    "registry_uri": ("databricks", "MLflow registry URI (databricks = Workspace Model Registry)"),
    "experiment_name": (RETRAIN_EXPERIMENT, "MLflow experiment (workspace path; empty = the notebook's own)"),
}
TEST_WIDGETS: dict[str, tuple[str, str]] = {
    "event_message": ("", "Registry webhook payload (JSON)"),
    "min_f1": ("0.5", "holdout_quality: minimum F1"),
    "min_roc_auc": ("0.75", "holdout_quality: minimum ROC-AUC"),
    "max_f1_drop": ("0.05", "champion_comparison: largest relative F1 drop"),
    "max_slice_gap": ("0.35", "slice_gaps: largest F1/recall gap across groups"),
    "max_p95_latency_ms": ("500", "batch_latency: p95 ms to score 1,000 rows"),
    "mode": ("enforce", "enforce | dry_run"),
    "source_table": (TABLE_NAME, "Table whose holdout split is the test data"),
    "target_col": (TARGET_COL, "Label column"),
    "registry_uri": ("databricks", "MLflow registry URI (databricks = Workspace Model Registry)"),
    "experiment_name": (TEST_EXPERIMENT, "MLflow experiment for evaluation runs (empty = the notebook's own)"),
}
MODES = ("enforce", "dry_run")
# Widgets shown as dropdowns (Databricks validates the choice in its UI).
WIDGET_CHOICES: dict[str, list[str]] = {"mode": list(MODES), "primary_metric": sorted(PRIMARY_METRICS)}


class SettingsError(ValueError):
    """A widget value is unusable; the message names the widget."""


def _number(get: Callable[[str], str], name: str, low: float, high: float | None = None) -> float:
    raw = get(name)
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise SettingsError(f"widget {name} must be a number, got {raw!r}") from None
    if not (value >= low and (high is None or value <= high)) or value != value:
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise SettingsError(f"widget {name} must be in {bound}, got {raw!r}")
    return value


def _text(get: Callable[[str], str], name: str) -> str:
    value = str(get(name) or "").strip()
    if not value:
        raise SettingsError(f"widget {name} must not be empty")
    return value


def _table(get, name: str) -> str:
    value = _text(get, name)
    try:
        parse_table_name(value)
    except ValueError as exc:
        raise SettingsError(f"widget {name}: {exc}") from None
    return value


@dataclass(frozen=True)
class RetrainSettings:
    training: TrainingConfig
    source_table: str
    registry_uri: str
    experiment_name: str

    @classmethod
    def from_widgets(cls, get: Callable[[str], str]) -> RetrainSettings:
        metric = _text(get, "primary_metric")
        if metric not in PRIMARY_METRICS:
            raise SettingsError(f"widget primary_metric must be one of {sorted(PRIMARY_METRICS)}, got {metric!r}")
        minutes = _number(get, "timeout_minutes", 0.05, 24 * 60)
        return cls(
            training=TrainingConfig(
                model_name=_text(get, "model_name"),
                target_col=_text(get, "target_col"),
                primary_metric=metric,
                timeout_minutes=minutes,
            ),
            source_table=_table(get, "source_table"),
            registry_uri=_text(get, "registry_uri"),
            experiment_name=str(get("experiment_name") or "").strip(),
        )


@dataclass(frozen=True)
class CandidateTestSettings:
    min_f1: float = 0.5
    min_roc_auc: float = 0.75
    max_f1_drop: float = 0.05
    max_slice_gap: float = 0.35
    max_p95_latency_ms: float = 500.0
    mode: str = "enforce"
    source_table: str = TABLE_NAME
    target_col: str = TARGET_COL
    registry_uri: str = "databricks"
    experiment_name: str = TEST_EXPERIMENT

    @classmethod
    def from_widgets(cls, get: Callable[[str], str]) -> CandidateTestSettings:
        mode = _text(get, "mode")
        if mode not in MODES:
            raise SettingsError(f"widget mode must be one of {list(MODES)}, got {mode!r}")
        return cls(
            min_f1=_number(get, "min_f1", 0.0, 1.0),
            min_roc_auc=_number(get, "min_roc_auc", 0.0, 1.0),
            max_f1_drop=_number(get, "max_f1_drop", 0.0, 1.0),
            max_slice_gap=_number(get, "max_slice_gap", 0.0, 1.0),
            max_p95_latency_ms=_number(get, "max_p95_latency_ms", 0.001),
            mode=mode,
            source_table=_table(get, "source_table"),
            target_col=_text(get, "target_col"),
            registry_uri=_text(get, "registry_uri"),
            experiment_name=str(get("experiment_name") or "").strip(),
        )

    def thresholds(self) -> dict[str, float]:
        return {
            "min_f1": self.min_f1,
            "min_roc_auc": self.min_roc_auc,
            "max_f1_drop": self.max_f1_drop,
            "max_slice_gap": self.max_slice_gap,
            "max_p95_latency_ms": self.max_p95_latency_ms,
        }


def declare_widgets(dbutils, widgets: dict[str, tuple[str, str]]) -> None:
    for name, (default, label) in widgets.items():
        if name in WIDGET_CHOICES:
            dbutils.widgets.dropdown(name, default, WIDGET_CHOICES[name], label)
        else:
            dbutils.widgets.text(name, default, label)
