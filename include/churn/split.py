"""Deterministic train / validation / holdout split keyed on CustomerId.

A customer always lands in the same part, whatever the row order or table size, so the test notebook can
rebuild the exact holdout the retraining notebook never trained on (and Spark could compute the same hash).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from churn.schema import FEATURE_COLUMNS, ID_COLUMNS, TARGET_COL

# Percent buckets: [0, 70) train, [70, 85) validation, [85, 100) holdout.
TRAIN_PCT = 70
VALIDATION_PCT = 15
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def split_bucket(customer_ids) -> np.ndarray:
    """A stable bucket 0..99 per customer id (Fibonacci hashing, wrapping 64-bit multiply)."""
    ids = np.asarray(customer_ids, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = ids * _GOLDEN
    return ((mixed >> np.uint64(32)) % np.uint64(100)).astype(np.int64)


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    validation: pd.DataFrame
    holdout: pd.DataFrame

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "holdout": len(self.holdout)}


def split_table(table: pd.DataFrame, target_col: str = TARGET_COL) -> Split:
    """Drop the id columns and split; every part keeps the 10 features plus `target_col`."""
    missing = [c for c in ("CustomerId", *FEATURE_COLUMNS, target_col) if c not in table.columns]
    if missing:
        raise ValueError(f"table is missing columns {missing}")
    bucket = split_bucket(table["CustomerId"])
    frame = table.drop(columns=[c for c in ID_COLUMNS if c in table.columns])[[*FEATURE_COLUMNS, target_col]]
    parts = (
        bucket < TRAIN_PCT,
        (bucket >= TRAIN_PCT) & (bucket < TRAIN_PCT + VALIDATION_PCT),
        bucket >= TRAIN_PCT + VALIDATION_PCT,
    )
    train, validation, holdout = (frame[mask].reset_index(drop=True) for mask in parts)
    if min(len(train), len(validation), len(holdout)) == 0:
        raise ValueError(f"table of {len(table)} rows is too small to split into train/validation/holdout")
    return Split(train=train, validation=validation, holdout=holdout)


def holdout_of(table: pd.DataFrame, target_col: str = TARGET_COL) -> pd.DataFrame:
    """The rows no model trained by `churn.training` has seen."""
    return split_table(table, target_col).holdout
