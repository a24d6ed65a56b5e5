"""What the test notebook leaves behind: a short markdown table (the registry comment), report.json, plots."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd

from churn.checks import CheckResult

MAX_MARKDOWN_CHARS = 3_000  # registry comments should stay short; details live in the evaluation run
_DETAIL_CHARS = 160


def _cell(text: str) -> str:
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def report_markdown(
    model_name: str,
    version: str | None,
    passed: bool,
    checks: list[CheckResult],
    mode: str = "enforce",
    evaluation_run_id: str | None = None,
) -> str:
    failed = [c.name for c in checks if not c.passed]
    verdict = "PASSED" if passed else "FAILED"
    if mode == "dry_run" and failed:
        verdict += " (dry run: failures reported, not enforced)"
    head = f"**{model_name} v{version or '?'}: {verdict}** — {len(checks) - len(failed)}/{len(checks)} checks passed"
    if failed:
        head += f"; failed: {', '.join(failed)}"
    lines = [head, "", "| check | result | detail |", "|---|---|---|"]
    lines += [f"| {c.name} | {'pass' if c.passed else 'FAIL'} | {_cell(c.detail)} |" for c in checks]
    drift = next((c.measured for c in checks if c.name == "data_drift" and isinstance(c.measured, dict)), None)
    if drift:
        ranked = sorted(drift.items(), key=lambda item: -item[1])
        lines += [
            "",
            "PSI per feature vs the champion's training data: " + ", ".join(f"{k} {v:.4f}" for k, v in ranked),
        ]
    if evaluation_run_id:
        lines += ["", f"MLflow evaluation run: `{evaluation_run_id}`"]
    text = "\n".join(lines)
    return text if len(text) <= MAX_MARKDOWN_CHARS else text[: MAX_MARKDOWN_CHARS - 1] + "…"


def checks_table(checks: list[CheckResult]) -> pd.DataFrame:
    """One row per check for `display()`: measured values and thresholds as JSON text (tables want flat cells)."""
    return pd.DataFrame(
        [
            {
                "check": c.name,
                "passed": c.passed,
                "measured": json.dumps(c.measured),
                "threshold": json.dumps(c.threshold),
                "detail": c.detail,
            }
            for c in checks
        ],
        columns=["check", "passed", "measured", "threshold", "detail"],
    )


def metrics_table(metrics: dict[str, float]) -> pd.DataFrame:
    """Metrics sorted by name, one per row, for `display()`."""
    return pd.DataFrame(sorted(metrics.items()), columns=["metric", "value"])


def write_plots(y_true, y_pred, y_score, out_dir: str) -> list[str]:
    """confusion_matrix.png and (with probabilities) roc_curve.png in `out_dir`; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay

    paths = []
    fig, ax = plt.subplots(figsize=(4, 4))
    ConfusionMatrixDisplay.from_predictions(
        np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int), ax=ax, colorbar=False
    )
    ax.set_title("Holdout confusion matrix")
    paths.append(os.path.join(out_dir, "confusion_matrix.png"))
    fig.savefig(paths[-1], dpi=80, bbox_inches="tight")
    plt.close(fig)
    scores = y_pred if y_score is None else y_score
    fig, ax = plt.subplots(figsize=(4, 4))
    RocCurveDisplay.from_predictions(np.asarray(y_true).astype(int), np.asarray(scores, dtype=float), ax=ax)
    ax.set_title("Holdout ROC" + ("" if y_score is not None else " (hard labels)"))
    paths.append(os.path.join(out_dir, "roc_curve.png"))
    fig.savefig(paths[-1], dpi=80, bbox_inches="tight")
    plt.close(fig)
    return paths


def write_report_json(payload: dict, out_dir: str) -> str:
    path = os.path.join(out_dir, "report.json")
    with open(path, "w") as handle:
        json.dump(payload, handle, indent=2, default=str)
    return path
