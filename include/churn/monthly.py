"""The churn table grows by month: a `snapshot_month` column ("YYYY-MM"), one batch of new customers per month.

The first seed writes `BASE_MONTH`; each appended month brings `MONTHLY_ROWS` new customers (ids not in the table
yet) whose population drifts slowly and realistically with the months since `BASE_MONTH` (see `MonthlyDrift`):
customers a little older, balances a little higher, Germany a little more common, a churn rate creeping up.
A month's rows depend only on the month and the ids already present, so the data is the same on every machine.

Training "as of" a date uses the months that began before it (`filter_as_of`): the retraining DAG passes its data
interval's end, so the run for the interval ending 2025-03-01 trains on 2025-02 and earlier. Rows without a month
(a table seeded before months existed) count as `BASE_MONTH`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from churn.data import (
    CUSTOMER_ID_RANGE,
    DEFAULT_SEED,
    GEOGRAPHIES,
    GEOGRAPHY_P,
    _shift_label_probability,
    churn_probability,
    generate_churn_data,
)
from churn.schema import MONTH_COLUMN, normalize_dtypes

# Fixed, in the past: the same months on every machine, and a data interval ending today includes them all.
BASE_MONTH = "2025-01"
MONTHLY_ROWS = 2_500
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class MonthlyDrift:
    """How the population of the month `index` months after `BASE_MONTH` differs from the base month."""

    index: int

    @property
    def age_shift_years(self) -> float:
        return 0.4 * self.index  # an ageing customer base

    @property
    def balance_factor(self) -> float:
        return 1.0 + 0.015 * self.index  # balances grow ~1.5 % a month

    @property
    def germany_share_gain(self) -> float:
        return min(0.01 * self.index, 0.15)  # the bank grows in Germany

    @property
    def churn_logit_shift(self) -> float:
        return 0.03 * self.index  # churn creeps up


def parse_month(text: str) -> str:
    """ "2025-03" -> "2025-03"; anything else -> ValueError naming the expected form."""
    if not isinstance(text, str) or not _MONTH.match(text.strip()):
        raise ValueError(f"month must look like YYYY-MM (e.g. 2025-03), got {text!r}")
    return text.strip()


def month_index(month: str) -> int:
    """Months since `BASE_MONTH` (0 for the base month)."""
    year, mon = (int(p) for p in parse_month(month).split("-"))
    base_year, base_mon = (int(p) for p in BASE_MONTH.split("-"))
    return (year - base_year) * 12 + (mon - base_mon)


def add_months(month: str, count: int) -> str:
    year, mon = (int(p) for p in parse_month(month).split("-"))
    total = year * 12 + (mon - 1) + count
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def parse_as_of(text: str | None) -> str:
    """An as-of date as ISO text ("2025-03-01"), or "" for "all data". Accepts "YYYY-MM-DD" (e.g. Airflow's `ds`)."""
    value = str(text or "").strip()
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(
            f"as_of must be a date YYYY-MM-DD (the months that began before it are used) or empty, got {value!r}"
        ) from None


def months_of(frame: pd.DataFrame) -> pd.Series:
    """Each row's month; rows without one (a table seeded before months existed) belong to `BASE_MONTH`."""
    if MONTH_COLUMN not in frame.columns:
        return pd.Series(BASE_MONTH, index=frame.index, dtype=object)
    return frame[MONTH_COLUMN].astype(object).where(frame[MONTH_COLUMN].notna(), BASE_MONTH)


def filter_as_of(frame: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The rows of the months that began before `as_of` (all rows when `as_of` is empty)."""
    as_of = parse_as_of(as_of)
    if not as_of:
        return frame
    kept = frame[(months_of(frame) + "-01") < as_of].reset_index(drop=True)
    if kept.empty:
        raise ValueError(f"no rows before as_of {as_of}: the table's months are {month_span(frame)}")
    return kept


def month_span(frame: pd.DataFrame) -> list[str]:
    """[first month, last month] of the rows ([] for no rows)."""
    months = months_of(frame)
    return [str(months.min()), str(months.max())] if len(months) else []


def base_table(rows: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The first seed: the generated table, all in `BASE_MONTH`."""
    return with_month(generate_churn_data(rows, seed), BASE_MONTH)


def with_month(frame: pd.DataFrame, month: str) -> pd.DataFrame:
    out = frame.copy()
    out[MONTH_COLUMN] = parse_month(month)
    return out


def month_batch(month: str, existing_ids, first_row_number: int, rows: int = MONTHLY_ROWS) -> pd.DataFrame:
    """`rows` new customers for `month` (after `BASE_MONTH`), drifted as `MonthlyDrift` says."""
    index = month_index(month)
    if index < 1:
        raise ValueError(f"appended months come after the base month {BASE_MONTH}, got {month}")
    drift = MonthlyDrift(index)
    rng = np.random.default_rng([DEFAULT_SEED, index])
    # Features and labels from the calibrated generator, then this month's drift; labels redrawn with the shift.
    frame = generate_churn_data(rows, seed=DEFAULT_SEED + 1000 * index)
    frame["Geography"] = _shift_geography(frame["Geography"].to_numpy(), drift.germany_share_gain, rng)
    frame["Age"] = np.clip(np.rint(frame["Age"] + drift.age_shift_years + rng.normal(0, 1, rows)), 18, 92)
    balance = frame["Balance"].to_numpy().copy()
    # German customers never have a zero balance: the ones who moved there get a typical positive one.
    zero_in_germany = (frame["Geography"].to_numpy() == "Germany") & (balance == 0)
    balance[zero_in_germany] = np.clip(rng.normal(119_827.0, 30_095.0, rows), 3_768.69, None)[zero_in_germany]
    frame["Balance"] = np.round(balance * drift.balance_factor, 2)
    frame["Exited"] = _redraw_labels(frame, drift.churn_logit_shift, rng)
    frame["CustomerId"] = _new_customer_ids(existing_ids, rows, rng)
    frame["RowNumber"] = np.arange(first_row_number, first_row_number + rows, dtype=np.int64)
    return with_month(normalize_dtypes(frame), month)


def _shift_geography(geography: np.ndarray, gain: float, rng: np.random.Generator) -> np.ndarray:
    """Move `gain` of the customers from France/Spain to Germany (proportionally)."""
    germany = GEOGRAPHY_P[GEOGRAPHIES.index("Germany")]
    switch = (geography != "Germany") & (rng.random(len(geography)) < gain / (1 - germany))
    return np.where(switch, "Germany", geography)


def _redraw_labels(frame: pd.DataFrame, logit_shift: float, rng: np.random.Generator) -> np.ndarray:
    features = {column: frame[column].to_numpy() for column in frame.columns}
    p = _shift_label_probability(churn_probability(features), logit_shift)
    return (rng.random(len(frame)) < p).astype(np.int64)


def _new_customer_ids(existing_ids, rows: int, rng: np.random.Generator) -> np.ndarray:
    low, high = CUSTOMER_ID_RANGE
    free = np.setdiff1d(np.arange(low, high, dtype=np.int64), np.asarray(existing_ids, dtype=np.int64))
    if len(free) < rows:
        raise ValueError(f"only {len(free)} unused customer ids left, {rows} needed")
    return rng.choice(free, size=rows, replace=False)
