"""`data_drift`: population stability index (PSI) per feature between the candidate's and the champion's
training data.

PSI = Σ (a − e) · ln(a / e) over bins, with e the champion's (reference) share and a the candidate's share per bin.
Numeric features are binned at the reference's deciles; categorical and small-integer features (≤ 20 values) by
value. Empty bins count as 0.0001 so a new category shows as a large, finite PSI. Rule of thumb: < 0.1 stable,
0.1-0.25 a moderate shift, > 0.25 a major one. The check fails only when a feature's PSI exceeds `max_psi`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churn.checks import CheckResult, check_result
from churn.lineage import training_data_of_version
from churn.schema import FEATURE_COLUMNS

BINS = 10
MAX_DISCRETE_VALUES = 20
_EMPTY_SHARE = 1e-4


def psi(reference: pd.Series, current: pd.Series, bins: int = BINS) -> float:
    """PSI of `current` against `reference` (0 = identical distributions). Nulls are a bin of their own."""
    if len(reference) == 0 or len(current) == 0:
        raise ValueError("PSI needs rows on both sides")
    ref_bins, cur_bins = _bin(reference, current, bins)
    expected = ref_bins.value_counts(normalize=True)
    actual = cur_bins.value_counts(normalize=True)
    categories = expected.index.union(actual.index)
    e = np.maximum(expected.reindex(categories, fill_value=0.0).to_numpy(), _EMPTY_SHARE)
    a = np.maximum(actual.reindex(categories, fill_value=0.0).to_numpy(), _EMPTY_SHARE)
    return float(np.sum((a - e) * np.log(a / e)))


def _bin(reference: pd.Series, current: pd.Series, bins: int) -> tuple[pd.Series, pd.Series]:
    """Each value's bin as text: the value itself for discrete features, the decile interval's index otherwise."""
    discrete = not pd.api.types.is_numeric_dtype(reference) or reference.nunique() <= MAX_DISCRETE_VALUES
    if discrete:
        return _labels(reference), _labels(current)
    ref = reference.dropna().to_numpy(dtype=float)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1])) if len(ref) else np.array([])

    def place(values: pd.Series) -> pd.Series:
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        index = pd.Series(np.searchsorted(edges, numbers, side="right").astype(str))
        return index.where(~np.isnan(numbers), "null")

    return place(reference), place(current)


def _labels(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "null").astype(str).reset_index(drop=True)


def feature_psi(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, float]:
    """PSI per model feature, in the table's column order."""
    return {name: round(psi(reference[name], current[name]), 4) for name in FEATURE_COLUMNS}


def check_data_drift(
    candidate: pd.DataFrame | None,
    champion: pd.DataFrame | None,
    max_psi: float,
    candidate_label: str,
    champion_label: str | None,
) -> CheckResult:
    """Passes with "no champion to compare" without one; fails when any feature's PSI exceeds `max_psi`.

    `candidate_label` / `champion_label` say which data each side is (e.g. "v2: 12500 rows, 2025-01..2025-02").
    """
    name = "data_drift"
    if champion_label is None:
        return check_result(name, True, None, max_psi, "no champion to compare")
    if candidate is None or champion is None:
        missing = candidate_label if candidate is None else champion_label
        return check_result(name, True, None, max_psi, f"not compared: no training-data record for {missing}")
    measured = feature_psi(champion, candidate)
    worst = max(measured, key=lambda feature: measured[feature])
    over = [f"{feature} {value:.3f}" for feature, value in measured.items() if value > max_psi]
    basis = f"{candidate_label} vs champion {champion_label}"
    if over:
        return check_result(name, False, measured, max_psi, f"PSI > {max_psi}: {', '.join(over)}; {basis}")
    return check_result(name, True, measured, max_psi, f"max PSI {worst} {measured[worst]:.4f} ≤ {max_psi}; {basis}")


def check_training_data_drift(
    client, candidate_version, champion_version, max_psi: float, spark=None, warehouse=None
) -> CheckResult:
    """`data_drift` for registered versions: each side's training data rebuilt from its run's record."""
    if champion_version is None:
        return check_data_drift(None, None, max_psi, f"v{candidate_version.version}", None)
    if str(champion_version.version) == str(candidate_version.version):
        detail = f"candidate version {candidate_version.version} is already the champion"
        return check_result("data_drift", True, None, max_psi, detail)
    candidate, candidate_label = training_data_of_version(client, candidate_version, spark, warehouse)
    champion, champion_label = training_data_of_version(client, champion_version, spark, warehouse)
    return check_data_drift(candidate, champion, max_psi, candidate_label, champion_label)
