"""Names, defaults and choices shared by the DAG params, the notebook widgets and the notebook settings.

`CandidateTestOptions` is the single definition of the candidate-test thresholds and mode: each field's default
and bounds are the promotion DAG param's and the widget's, its `title` is the widget label and its `description`
the param's help text. The widgets carry the same values as text (`widget_default`).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MODEL_NAME = "Churn Prediction Bank"
DEFAULT_SOURCE_TABLE = "bank_churn_analysis.raw_data"
DEFAULT_TARGET_COL = "Exited"

# The candidate checks, in the order the test notebook runs and reports them.
CHECK_NAMES: tuple[str, ...] = (
    "input_schema",
    "prediction_contract",
    "holdout_quality",
    "champion_comparison",
    "data_drift",
    "slice_gaps",
    "batch_latency",
    "metadata",
)

# Databricks AutoML's classification metrics (the retraining notebook also optimises them with FLAML).
PrimaryMetric = Literal["f1", "roc_auc", "precision", "accuracy", "log_loss"]
PRIMARY_METRICS: tuple[str, ...] = get_args(PrimaryMetric)
DEFAULT_PRIMARY_METRIC: PrimaryMetric = "f1"

TestMode = Literal["enforce", "dry_run"]
TEST_MODES: tuple[str, ...] = get_args(TestMode)


class CandidateTestOptions(BaseModel):
    """The candidate test's thresholds and mode: promotion DAG params = test notebook widgets of the same names."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, validate_default=True)

    min_f1: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        title="holdout_quality: minimum F1",
        description="holdout_quality check: minimum F1 on the holdout set",
    )
    min_roc_auc: float = Field(
        default=0.75,
        ge=0.0,
        le=1.0,
        title="holdout_quality: minimum ROC-AUC",
        description="holdout_quality check: minimum ROC-AUC",
    )
    max_f1_drop: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        title="champion_comparison: largest relative F1 drop",
        description="champion_comparison check: largest relative F1 drop vs the version in the stage",
    )
    max_psi: float = Field(
        # Month-on-month drift of the training data stays far below 0.1 (< 0.01 in the demo); a broken pipeline
        # (a unit change, a shifted column, a new category) gives > 0.25 on the feature it broke.
        default=0.2,
        gt=0.0,
        title="data_drift: largest PSI per feature vs the champion's data",
        description=(
            "data_drift check: largest population stability index of any feature between the candidate's and the "
            "champion's training data (< 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major shift)"
        ),
    )
    max_slice_gap: float = Field(
        default=0.35,
        ge=0.0,
        le=1.0,
        title="slice_gaps: largest F1/recall gap across groups",
        description="slice_gaps check: largest F1 or recall gap across Geography and Gender",
    )
    max_p95_latency_ms: float = Field(
        default=500,
        gt=0.0,
        title="batch_latency: p95 ms to score 1,000 rows",
        description="batch_latency check: p95 milliseconds to score 1,000 rows",
    )
    mode: TestMode = Field(
        default="enforce",
        title="enforce | dry_run",
        description="enforce rejects a failing candidate; dry_run reports the failures but passes",
    )

    def thresholds(self) -> dict[str, float]:
        """The numeric thresholds (logged as the evaluation run's params)."""
        return {name: getattr(self, name) for name in THRESHOLD_NAMES}


THRESHOLD_NAMES: tuple[str, ...] = tuple(name for name in CandidateTestOptions.model_fields if name != "mode")


def option_choices(name: str) -> tuple[str, ...] | None:
    """The allowed values of a `Literal` option (shown as a dropdown widget / enum param), else None."""
    annotation = CandidateTestOptions.model_fields[name].annotation
    return get_args(annotation) or None


def widget_default(name: str) -> str:
    """An option's default as a notebook widget shows it (widgets hold text): 0.5 -> "0.5", 500 -> "500"."""
    default = CandidateTestOptions.model_fields[name].default
    return f"{default:g}" if isinstance(default, (int, float)) and not isinstance(default, bool) else str(default)
