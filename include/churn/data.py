"""Seeded synthetic bank-churn data with the public "Churn_Modelling" dataset's shape (REFERENCE.md §2).

Marginals (ranges, category proportions) are drawn directly; the label comes from a logistic model whose
coefficients were calibrated (moment matching on a 400k-row sample, see `_CHURN_COEFS`) so that churn rates by
Geography, Gender, activity, product count and balance, and the churners' mean age, match the real data.
Product count is non-monotone (4 products always churn, 2 rarely) and churn falls again after 60, so a
tree model beats a linear baseline, as on the real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from churn.schema import TABLE_COLUMNS, normalize_dtypes

DEFAULT_ROWS = 10_000
DEFAULT_SEED = 42

GEOGRAPHIES = ("France", "Germany", "Spain")
GEOGRAPHY_P = (0.5014, 0.2509, 0.2477)
MALE_P = 0.5457
PRODUCTS_P = (0.5084, 0.4590, 0.0266, 0.0060)
HAS_CR_CARD_P = 0.7055
ACTIVE_P = 0.5151
# Tenure 0 and 10 are rarer than 1..9 (≈413 and ≈490 per 10k rows).
TENURE_P = np.array([413] + [(10_000 - 413 - 490) / 9] * 9 + [490]) / 10_000
ZERO_BALANCE_P_OUTSIDE_GERMANY = 0.482  # German customers never have a zero balance; overall ≈36 %.
SALARY_RANGE = (11.58, 199_992.48)
CUSTOMER_ID_RANGE = (15_565_701, 15_815_691)

_SURNAMES = [
    "Hargrave",
    "Hill",
    "Onio",
    "Boni",
    "Mitchell",
    "Chu",
    "Bartlett",
    "Obinna",
    "He",
    "Bearce",
    "Andrews",
    "Kay",
    "Chin",
    "Scott",
    "Goforth",
    "Romeo",
    "Henderson",
    "Muldrow",
    "Hao",
    "McDonald",
    "Dellucci",
    "Gerasimov",
    "Mosman",
    "Yen",
    "Maclean",
    "Young",
    "Nebechi",
    "McWilliams",
    "Lucciano",
    "Azikiwe",
    "Odartey",
    "Tien",
    "Fanucci",
    "Ferri",
    "Wang",
    "Lombardo",
    "Watson",
    "Lorenzo",
    "Armstrong",
    "Cameron",
    "Hsiung",
    "Kao",
    "Clarke",
    "Akobundu",
    "Ike",
    "Palerma",
    "Okwudilichukwu",
    "Pirozzi",
    "Stephenson",
    "Fraser",
    "Taylor",
    "Pisano",
    "Lu",
    "Chukwueloka",
    "Bellucci",
    "Johnston",
    "Lin",
    "Humphries",
    "Kerr",
    "Pinto",
    "Kennedy",
    "Ferrari",
    "Smith",
    "Ts'ui",
    "Sanderson",
    "Wright",
    "Chiu",
    "Ch'ang",
    "Jackson",
]

# logit(p) = intercept + Σ coef·indicator + age·(min(age, 60) − 38.9)/10 − 0.15·max(age − 60, 0)
_CHURN_COEFS = {
    "intercept": -3.8456,
    "germany": 1.2246,
    "spain": 0.0724,
    "female": 0.8537,
    "active": -1.2803,
    "one_product": 2.1346,
    "three_products": 5.7979,
    "age": 1.5376,
    "positive_balance": 0.5908,
}
_OLD_AGE_SLOPE = -0.15


@dataclass(frozen=True)
class DriftSpec:
    """How a drifted batch differs from the reference distribution (for drift detection work)."""

    age_shift_years: float = 8.0  # customers are older
    balance_unit_factor: float = 0.001  # Balance reported in thousands instead of units
    null_column: str | None = "CreditScore"  # this column gets nulls ...
    null_fraction: float = 0.05  # ... in this share of rows
    label_shift_logit: float = 0.7  # more customers churn for the same features


def _logit_terms(frame: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The design columns of the churn model, one array per coefficient."""
    n = len(frame["Age"])
    age = frame["Age"].astype(float)
    return {
        "intercept": np.ones(n),
        "germany": (frame["Geography"] == "Germany").astype(float),
        "spain": (frame["Geography"] == "Spain").astype(float),
        "female": (frame["Gender"] == "Female").astype(float),
        "active": frame["IsActiveMember"].astype(float),
        "one_product": (frame["NumOfProducts"] == 1).astype(float),
        "three_products": (frame["NumOfProducts"] == 3).astype(float),
        "age": (np.minimum(age, 60.0) - 38.9) / 10.0,
        "positive_balance": (frame["Balance"] > 0).astype(float),
    }


def churn_probability(frame: dict[str, np.ndarray], coefs: dict[str, float] | None = None) -> np.ndarray:
    """P(Exited = 1) for each row; 4 products always churn, as in the real data."""
    coefs = coefs or _CHURN_COEFS
    terms = _logit_terms(frame)
    logit = sum(coefs[name] * values for name, values in terms.items())
    logit = logit + _OLD_AGE_SLOPE * np.maximum(frame["Age"].astype(float) - 60.0, 0.0)
    p = 1.0 / (1.0 + np.exp(-logit))
    return np.where(frame["NumOfProducts"] == 4, 1.0, p)


def _draw_features(rng: np.random.Generator, n_rows: int) -> dict[str, np.ndarray]:
    geography = rng.choice(GEOGRAPHIES, size=n_rows, p=GEOGRAPHY_P)
    gender = np.where(rng.random(n_rows) < MALE_P, "Male", "Female")
    credit = np.clip(np.rint(rng.normal(650.5, 96.7, n_rows)), 350, 850).astype(np.int64)
    # Right-skewed age: 18 + lognormal with median 19 (overall median 37, mean ≈38.9).
    age = np.clip(np.rint(18 + rng.lognormal(np.log(19.0), 0.4366, n_rows)), 18, 92).astype(np.int64)
    tenure = rng.choice(np.arange(11), size=n_rows, p=TENURE_P).astype(np.int64)
    zero_balance = (geography != "Germany") & (rng.random(n_rows) < ZERO_BALANCE_P_OUTSIDE_GERMANY)
    positive = np.clip(rng.normal(119_827.0, 30_095.0, n_rows), 3_768.69, 250_898.09)
    balance = np.where(zero_balance, 0.0, np.round(positive, 2))
    products = rng.choice(np.arange(1, 5), size=n_rows, p=PRODUCTS_P).astype(np.int64)
    has_card = (rng.random(n_rows) < HAS_CR_CARD_P).astype(np.int64)
    active = (rng.random(n_rows) < ACTIVE_P).astype(np.int64)
    salary = np.round(rng.uniform(*SALARY_RANGE, n_rows), 2)
    return {
        "CreditScore": credit,
        "Geography": geography,
        "Gender": gender,
        "Age": age,
        "Tenure": tenure,
        "Balance": balance,
        "NumOfProducts": products,
        "HasCrCard": has_card,
        "IsActiveMember": active,
        "EstimatedSalary": salary,
    }


def generate_churn_data(
    n_rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, drift: DriftSpec | None = None
) -> pd.DataFrame:
    """The bank-churn table: 14 columns in the public dataset's order and dtypes, no nulls (unless drifted).

    Same `(n_rows, seed, drift)` -> identical frame.
    """
    if not isinstance(n_rows, int) or n_rows < 1:
        raise ValueError(f"n_rows must be a positive integer, got {n_rows!r}")
    low, high = CUSTOMER_ID_RANGE
    if n_rows > high - low:
        raise ValueError(f"n_rows must be at most {high - low} (unique CustomerId range), got {n_rows}")
    rng = np.random.default_rng(seed)
    features = _draw_features(rng, n_rows)
    p = churn_probability(features)
    if drift is not None:
        p = _shift_label_probability(p, drift.label_shift_logit)
    exited = (rng.random(n_rows) < p).astype(np.int64)
    frame = pd.DataFrame(
        {
            "RowNumber": np.arange(1, n_rows + 1, dtype=np.int64),
            "CustomerId": rng.choice(np.arange(low, high, dtype=np.int64), size=n_rows, replace=False),
            "Surname": rng.choice(_SURNAMES, size=n_rows),
            **features,
            "Exited": exited,
        },
        columns=list(TABLE_COLUMNS),
    )
    if drift is not None:
        frame = _apply_feature_drift(frame, drift, rng)
    return normalize_dtypes(frame)


def generate_drifted_batch(n_rows: int = 2_000, seed: int = DEFAULT_SEED + 1, **overrides) -> pd.DataFrame:
    """A batch that differs from the reference data as `DriftSpec(**overrides)` says."""
    return generate_churn_data(n_rows, seed, drift=DriftSpec(**overrides))


def _shift_label_probability(p: np.ndarray, shift: float) -> np.ndarray:
    clipped = np.clip(p, 1e-9, 1 - 1e-9)
    return 1.0 / (1.0 + np.exp(-(np.log(clipped / (1 - clipped)) + shift)))


def _apply_feature_drift(frame: pd.DataFrame, drift: DriftSpec, rng: np.random.Generator) -> pd.DataFrame:
    out = frame.copy()
    out["Age"] = np.clip(out["Age"] + int(round(drift.age_shift_years)), 18, 92)
    out["Balance"] = np.round(out["Balance"] * drift.balance_unit_factor, 2)
    if drift.null_column is not None:
        if drift.null_column not in out.columns or drift.null_column == "Exited":
            raise ValueError(f"null_column must be a feature column of the table, got {drift.null_column!r}")
        mask = rng.random(len(out)) < drift.null_fraction
        column = out[drift.null_column].astype("Int64" if out[drift.null_column].dtype.kind == "i" else object)
        column[mask] = pd.NA
        out[drift.null_column] = column
    return out
