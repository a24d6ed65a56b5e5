"""Classification metrics shared by training and the candidate checks."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score


def classification_metrics(y_true, y_pred, y_score=None) -> dict[str, float]:
    """f1, precision, recall and roc_auc (from `y_score` when given, else from the hard labels)."""
    y_true = np.asarray(y_true).astype(int)
    y_pred = np.asarray(y_pred).astype(int)
    scores = y_pred if y_score is None else np.asarray(y_score, dtype=float)
    metrics = {
        "f1": float(f1_score(y_true, y_pred, zero_division=0)),
        "precision": float(precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(recall_score(y_true, y_pred, zero_division=0)),
    }
    # ROC-AUC is undefined when the labels hold one class only (tiny slices).
    metrics["roc_auc"] = float(roc_auc_score(y_true, scores)) if len(set(y_true)) == 2 else float("nan")
    return metrics


def prefixed(prefix: str, metrics: dict[str, float]) -> dict[str, float]:
    return {f"{prefix}_{name}": value for name, value in metrics.items()}
