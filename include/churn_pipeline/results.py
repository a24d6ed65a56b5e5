"""Reading the notebooks' exit values on the Airflow side.

The contracts themselves (`TrainingResult`, `CandidateTestResult`, `NotebookResultError`) are the typed models of
`churn_contract.results`, the same classes the notebook code writes with (README, "Notebook contracts"). A
notebook that exits with anything else fails the Airflow task with a message naming the bad field, before any
registry change is made.
"""

from __future__ import annotations

from churn_contract.results import CandidateTestResult, CheckResult, NotebookResultError, TrainingResult

__all__ = [
    "CandidateTestResult",
    "CheckResult",
    "NotebookResultError",
    "TrainingResult",
    "headline_metrics",
    "request_comment",
]

# Holdout metrics first, then validation, then AutoML's gain over the baseline, then the rest.
_METRIC_ORDER = ("holdout_", "val_", "automl_gain")


def headline_metrics(result: TrainingResult, limit: int = 8) -> list[tuple[str, float]]:
    def rank(item: tuple[str, float]) -> tuple[int, str]:
        name = item[0]
        return next((i for i, prefix in enumerate(_METRIC_ORDER) if name.startswith(prefix)), len(_METRIC_ORDER)), name

    return sorted(result.metrics.items(), key=rank)[:limit]


def request_comment(result: TrainingResult, run_page_url: str | None = None) -> str:
    """The comment posted with the Staging request: what was trained, how well, and where to look."""
    shown = ", ".join(f"{name} {value:.4f}" for name, value in headline_metrics(result))
    lines = [
        f"Best model of the most recent AutoML run ({result.automl_backend}, {result.n_rows} rows). Ready for testing.",
        f"Metrics: {shown or 'none reported'}.",
        f"MLflow run: {result.run_id}.",
    ]
    if result.training_data is not None:
        data = result.training_data
        lines.insert(2, f"Data: {data.dataset_name()} ({data.describe()}).")
    if run_page_url:
        lines.append(f"Databricks run: {run_page_url}")
    return "\n".join(lines)
