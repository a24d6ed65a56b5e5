"""Churn notebooks through the local workspace's Jobs API with their default widgets, on 10,000 seeded rows.

Times the retraining notebook (default AutoML budget) and the candidate-test notebook end to end (submit to
TERMINATED), and records the model's quality, the check measurements and the machine's load. Writes
bench/results/retrain.json and .md. Figures only; nothing here asserts a time.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the notebook-run helper the churn notebook tests use

from databricks.sdk import WorkspaceClient  # noqa: E402
from databricks.sdk.service import jobs  # noqa: E402
from report import write_report  # noqa: E402
from support.notebook_jobs import submit_notebook  # noqa: E402

from churn.seed import seed_table  # noqa: E402
from churn.settings import RETRAIN_WIDGETS  # noqa: E402
from local_workspace.launcher import start_workspace  # noqa: E402


def run_notebook(client: WorkspaceClient, notebook: str, params: dict) -> tuple[float, dict]:
    start = time.perf_counter()
    run, output = submit_notebook(client, f"/include/notebooks/{notebook}", params, timeout_minutes=10)
    seconds = time.perf_counter() - start
    if run.state.result_state != jobs.RunResultState.SUCCESS:
        raise SystemExit(f"{notebook} failed: {output.error}\n{output.error_trace}")
    return round(seconds, 1), json.loads(output.notebook_output.result)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-retrain-") as tmp:
        seed_table(tmp, rows=10_000)
        ws = start_workspace(data_dir=Path(tmp), workspace_dir=REPO)
        try:
            client = WorkspaceClient(host=ws.url, token=ws.token)
            load_before = os.getloadavg()[0]
            retrain_s, trained = run_notebook(client, "retrain_churn_model", {"model_name": "Bench Churn"})
            event = json.dumps(
                {
                    "event": "TRANSITION_REQUEST_TO_STAGING_CREATED",
                    "model_name": "Bench Churn",
                    "version": trained["version"],
                    "to_stage": "Staging",
                    "from_stage": "None",
                    "event_timestamp": int(time.time() * 1000),
                    "text": "",
                }
            )
            test_s, tested = run_notebook(client, "test_candidate_model", {"event_message": event})
            load_after = os.getloadavg()[0]
        finally:
            ws.stop()
    result = {
        "rows": 10_000,
        "cpus": os.cpu_count(),
        "load_average_1m": [round(load_before, 2), round(load_after, 2)],
        "default_timeout_minutes": float(RETRAIN_WIDGETS["timeout_minutes"][0]),
        "retrain_notebook_seconds": retrain_s,
        "test_notebook_seconds": test_s,
        "metrics": trained["metrics"],
        "test_passed": tested["passed"],
        "checks": {c["name"]: {"passed": c["passed"], "detail": c["detail"]} for c in tested["checks"]},
    }
    m = trained["metrics"]
    lines = [
        "# Churn notebooks through the local workspace (default widgets, 10,000 rows)",
        "",
        f"{result['cpus']} CPUs, 1-minute load average {result['load_average_1m'][0]} → {result['load_average_1m'][1]}"
        " (the machine is shared: load inflates every figure).",
        "",
        "| notebook | wall time (s) |",
        "|---|---|",
        f"| retrain_churn_model (AutoML budget {result['default_timeout_minutes']} min) | {retrain_s} |",
        f"| test_candidate_model (7 checks) | {test_s} |",
        "",
        f"Holdout F1 {m['holdout_f1']:.3f} / ROC-AUC {m['holdout_roc_auc']:.3f}; logistic baseline F1 "
        f"{m['baseline_holdout_f1']:.3f} / ROC-AUC {m['baseline_holdout_roc_auc']:.3f}. "
        f"Candidate test passed: {tested['passed']}.",
        "",
        "| check | passed | detail |",
        "|---|---|---|",
        *[f"| {n} | {c['passed']} | {c['detail']} |" for n, c in result["checks"].items()],
    ]
    write_report("retrain", result, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
