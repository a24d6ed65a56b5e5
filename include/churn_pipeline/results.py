"""Typed, validated views of the two notebooks' exit JSON (contracts in docs: ARCHITECTURE "Contracts").

A notebook that exits with something else fails the Airflow task with a message naming the bad field, before any
registry change is made.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


class NotebookResultError(ValueError):
    """A notebook's exit value does not follow its contract."""


def _require(payload: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(payload, dict):
        raise NotebookResultError(f"{where}: exit value must be a JSON object, got {type(payload).__name__}")
    if key not in payload:
        raise NotebookResultError(f"{where}: exit value has no {key!r} (keys: {sorted(payload)})")
    value = payload[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise NotebookResultError(f"{where}: {key!r} must be {_kind_name(kind)}, got {value!r}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _as_tuple(kind))


def _version(value: Any, where: str) -> str:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
        raise NotebookResultError(f"{where}: 'version' must be a positive integer, got {value!r}")
    return text


@dataclass(frozen=True)
class TrainingResult:
    """Exit value of `retrain_churn_model`: `{model_name, version, run_id, metrics, n_rows, automl_backend}`."""

    model_name: str
    version: str
    run_id: str
    metrics: dict[str, float]
    n_rows: int
    automl_backend: str

    @classmethod
    def parse(cls, payload: Any) -> TrainingResult:
        where = "retraining notebook"
        model_name = _require(payload, "model_name", str, where)
        if not model_name.strip():
            raise NotebookResultError(f"{where}: 'model_name' is empty")
        metrics = _require(payload, "metrics", dict, where)
        for name, value in metrics.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise NotebookResultError(f"{where}: metric {name!r} must be a finite number, got {value!r}")
        n_rows = _require(payload, "n_rows", int, where)
        if n_rows <= 0:
            raise NotebookResultError(f"{where}: 'n_rows' must be positive, got {n_rows}")
        return cls(
            model_name=model_name,
            version=_version(_require(payload, "version", (str, int), where), where),
            run_id=_require(payload, "run_id", str, where),
            metrics={name: float(value) for name, value in metrics.items()},
            n_rows=n_rows,
            automl_backend=str(payload.get("automl_backend", "unknown")),
        )

    def request_comment(self, run_page_url: str | None = None) -> str:
        """The comment posted with the Staging request: what was trained, how well, and where to look."""
        shown = ", ".join(f"{name} {value:.4f}" for name, value in self.headline_metrics())
        lines = [
            f"Best model of the most recent AutoML run ({self.automl_backend}, {self.n_rows} rows). Ready for testing.",
            f"Metrics: {shown or 'none reported'}.",
            f"MLflow run: {self.run_id}.",
        ]
        if run_page_url:
            lines.append(f"Databricks run: {run_page_url}")
        return "\n".join(lines)

    def headline_metrics(self, limit: int = 8) -> list[tuple[str, float]]:
        """Holdout metrics first, then validation, then AutoML's gain over the baseline, then the rest."""
        order = ("holdout_", "val_", "automl_gain")

        def rank(item: tuple[str, float]) -> tuple[int, str]:
            name = item[0]
            return next((i for i, prefix in enumerate(order) if name.startswith(prefix)), len(order)), name

        return sorted(self.metrics.items(), key=rank)[:limit]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    measured: Any = None
    threshold: Any = None
    detail: str = ""


@dataclass(frozen=True)
class CandidateTestResult:
    """Exit value of `test_candidate_model`: `{passed, checks[], metrics, champion_version, evaluation_run_id,
    report_markdown}`."""

    passed: bool
    checks: list[CheckResult]
    metrics: dict[str, Any] = field(default_factory=dict)
    champion_version: str | None = None
    evaluation_run_id: str | None = None
    report_markdown: str = ""

    @classmethod
    def parse(cls, payload: Any) -> CandidateTestResult:
        where = "candidate-test notebook"
        passed = _require(payload, "passed", bool, where)
        raw_checks = _require(payload, "checks", list, where)
        checks = []
        for index, raw in enumerate(raw_checks):
            if (
                not isinstance(raw, dict)
                or not isinstance(raw.get("name"), str)
                or not isinstance(raw.get("passed"), bool)
            ):
                raise NotebookResultError(f"{where}: checks[{index}] needs a string 'name' and a boolean 'passed'")
            checks.append(
                CheckResult(
                    name=raw["name"],
                    passed=raw["passed"],
                    measured=raw.get("measured"),
                    threshold=raw.get("threshold"),
                    detail=str(raw.get("detail") or ""),
                )
            )
        champion = payload.get("champion_version")
        return cls(
            passed=passed,
            checks=checks,
            metrics=dict(payload.get("metrics") or {}),
            champion_version=None if champion in (None, "") else str(champion),
            evaluation_run_id=payload.get("evaluation_run_id"),
            report_markdown=str(payload.get("report_markdown") or ""),
        )

    @property
    def failed_checks(self) -> list[str]:
        return [check.name for check in self.checks if not check.passed]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
