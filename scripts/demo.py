"""`make demo`: the whole loop on the embedded local workspace.

Starts a local workspace on `.local/workspace` (kept between runs, like a real workspace), seeds the churn table if
absent or else appends the next month of new customers to it, runs `churn_model_retraining` then `churn_model_promotion` with `dag.test()` on a SQLite Airflow home in
`.local/airflow`, prints a summary, stops the workspace. Exit code 1 if any step fails.
Run it twice: the second run appends a month, trains version 2 on more rows and tests it against version 1, the
Staging champion (including the drift between their training data).
`--registry uc` (`make demo REGISTRY=uc`) runs the same loop with Unity Catalog models: it creates the schema
main.churn once, trains main.churn.churn_prediction_bank, and the promotion records the validation (tags, alias
`challenger`) and moves `champion` (scripts/demo_unity_catalog.py).

    python scripts/demo.py [--registry workspace|uc] [--local-dir DIR] [--timings-file PATH]
                           [--retrain-conf JSON] [--promotion-conf JSON]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dag_runner import (
    REPO_ROOT,
    DagRunOutcome,
    adapt_for_dag_test,
    configure_airflow,
    decided,
    decision_lines,
    describe_decision,
    load_dags,
    migrate_db,
    run_dag,
)

LOCAL = REPO_ROOT / ".local"
RETRAIN_DAG = "churn_model_retraining"
PROMOTION_DAG = "churn_model_promotion"
DATABRICKS_TASKS = ("retrain_model", "candidate.run_tests")


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


def _start_seeding(data_dir: Path) -> subprocess.Popen:
    """`python -m churn.seed --append-month` in the background (it needs no server): the first run seeds the base
    month, every later run adds the next month of customers, as a month passes between two monthly retrainings."""
    return subprocess.Popen(
        [sys.executable, "-m", "churn.seed", "--data-dir", str(data_dir), "--append-month"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish_seeding(seeding: subprocess.Popen) -> None:
    output, _ = seeding.communicate()
    if seeding.returncode != 0:
        raise RuntimeError(f"seeding the churn table failed:\n{output}")
    print(f"    {output.strip().splitlines()[-1] if output.strip() else 'seeded'}")


def _run(dags: dict, dag_id: str, conf: dict) -> DagRunOutcome:
    _step(f"running DAG {dag_id} (dag.test)")
    outcome = run_dag(adapt_for_dag_test(dags[dag_id]), conf)
    if not outcome.succeeded:
        raise RuntimeError(f"DAG {dag_id} ended {outcome.state}; failed tasks: {outcome.failed_tasks() or 'none'}")
    return outcome


def _notebook_seconds(workspace, outcomes: list[DagRunOutcome]) -> float:
    """Wall time the Databricks runs took (start to end), as the Jobs API reports it."""
    from databricks.sdk import WorkspaceClient

    client = WorkspaceClient(host=workspace.url, token=workspace.token)
    total = 0.0
    for outcome in outcomes:
        for task in outcome.tasks:
            run_id = task.xcom.get("run_id") if task.task_id in DATABRICKS_TASKS else None
            if run_id:
                run = client.jobs.get_run(int(run_id))
                if run.start_time and run.end_time:
                    total += (run.end_time - run.start_time) / 1000
    return total


def _fmt(value) -> str:
    """One short cell: numbers rounded, dicts as their first few numeric entries, lists by length."""
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        numeric = [(k, v) for k, v in value.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numeric:
            return ", ".join(f"{k} {_fmt(v)}" for k, v in numeric[:3])
        short = [(k, v) for k, v in value.items() if isinstance(v, str) and len(v) <= 20]
        if short and len(value) <= 3:
            return ", ".join(f"{k} {v}" for k, v in short)
        return f"{len(value)} fields"
    if isinstance(value, (list, tuple)):
        return f"{len(value)} items"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _summary(workspace, retrain: DagRunOutcome, promotion: DagRunOutcome, local: Path) -> None:
    trained = retrain.value("read_training_result", "version")
    model = retrain.value("read_training_result", "model_name")
    metrics = {
        k: v for k, v in (retrain.value("read_training_result", "metrics") or {}).items() if k.startswith("holdout_")
    }
    print()
    print(
        f"Model {model!r}: trained version {trained} "
        f"({retrain.value('read_training_result', 'automl_backend')}), "
        + ", ".join(f"{k} {_fmt(v)}" for k, v in sorted(metrics.items()))
    )
    data = retrain.value("read_training_result", "training_data") or {}
    if data:
        print(
            f"  trained on {data.get('n_rows')} rows of {data.get('source_table')}, months "
            f"{'..'.join(dict.fromkeys(data.get('months') or [])) or '?'} (Delta version {data.get('delta_version')}, "
            f"as_of {data.get('as_of') or 'all data'})"
        )
    decisions = decided(promotion)
    if not decisions:
        print("\n".join(decision_lines(promotion)))
    for decide in decisions:
        decision = decide.xcom.get("return_value") or {}
        result = promotion.value("candidate.read_test_result", map_index=decide.map_index) or {}
        print()
        print(describe_decision(decision, decide.state))
        if result.get("champion_version"):
            print(f"  compared with champion version {result['champion_version']}")
        for check in result.get("checks", []):
            mark = "pass" if check.get("passed") else "FAIL"
            measured = check.get("measured")
            if check["name"] == "data_drift" and isinstance(measured, dict):  # PSI per feature: the largest first
                measured = dict(sorted(measured.items(), key=lambda item: -item[1]))
            print(
                f"  [{mark}] {check['name']:<20} measured: {_fmt(measured)}; threshold: {_fmt(check.get('threshold'))}"
            )
            if check.get("detail"):
                print(f"         {'':<20} {check['detail']}")
        comment = decision.get("comment") or ""
        if comment:
            first_lines = "\n".join("    " + line for line in comment.strip().splitlines()[:4])
            print(f"  registry comment:\n{first_lines}")
    print()
    print(
        f"MLflow UI + registry: run `make workspace` (or `make airflow` for the Airflow UI too), open "
        f"http://127.0.0.1:8799/login and paste the token in {local / 'workspace' / 'token'} "
        f"(this demo's workspace at {workspace.url} is stopped now)."
    )
    print(
        f"Artifacts: {local / 'workspace' / 'artifacts'}   notebook run logs: {local / 'workspace' / 'runs'}   "
        f"Airflow home: {local / 'airflow'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--local-dir",
        type=Path,
        default=LOCAL,
        help="state kept between runs: <dir>/workspace (the workspace), <dir>/airflow (SQLite)",
    )
    parser.add_argument("--timings-file", type=Path, default=None, help="default: <local-dir>/demo-timings.json")
    parser.add_argument(
        "--registry", choices=("workspace", "uc"), default="workspace", help="model registry (default: workspace)"
    )
    parser.add_argument("--retrain-conf", type=json.loads, default={}, help="params for the retraining DAG")
    parser.add_argument("--promotion-conf", type=json.loads, default={}, help="params for the promotion DAG")
    args = parser.parse_args(argv)
    started = time.monotonic()
    local = args.local_dir.resolve()
    data_dir, airflow_home = local / "workspace", local / "airflow"
    timings_file = args.timings_file or local / "demo-timings.json"

    configure_airflow(airflow_home, quiet=True)
    from local_workspace.launcher import start_workspace

    # The three setup steps are independent: run them side by side (the workspace and seeding are processes).
    _step(
        f"starting the local workspace on {data_dir}, seeding bank_churn_analysis.raw_data (or appending a month), "
        f"preparing Airflow (SQLite in {airflow_home})"
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    seeding = _start_seeding(data_dir)
    pool = ThreadPoolExecutor(max_workers=1)
    starting = pool.submit(start_workspace, data_dir=data_dir, workspace_dir=REPO_ROOT)
    workspace = None
    try:
        migrate_db()
        dags = load_dags()
        _finish_seeding(seeding)
        workspace = starting.result()
        os.environ.update(workspace.client_env())
        os.environ["AIRFLOW_CONN_DATABRICKS_DEFAULT"] = workspace.airflow_connection_json()
        uc = args.registry == "uc"
        if uc:
            import demo_unity_catalog

            created = demo_unity_catalog.ensure_schema(workspace)
            _step(f"schema main.churn {'created (the one-time step a user does)' if created else 'exists'}")
        registry_conf = {"registry": args.registry}
        airflow_ready = time.monotonic()
        retrain = _run(dags, RETRAIN_DAG, {**registry_conf, **args.retrain_conf})
        promotion = _run(dags, PROMOTION_DAG, {**registry_conf, **args.promotion_conf})
        finished = time.monotonic()
        if uc:
            demo_unity_catalog.print_summary(retrain, promotion, _fmt)
        else:
            _summary(workspace, retrain, promotion, local)
        notebook = _notebook_seconds(workspace, [retrain, promotion])
        timings = {
            "total_seconds": round(finished - started, 2),
            "setup_seconds": round(airflow_ready - started, 2),
            "dags_seconds": round(finished - airflow_ready, 2),
            "notebook_compute_seconds": round(notebook, 2),
            "orchestration_overhead_seconds": round(finished - started - notebook, 2),
        }
        timings_file.parent.mkdir(parents=True, exist_ok=True)
        timings_file.write_text(json.dumps(timings, indent=2))
        print(f"\nDone in {timings['total_seconds']:.0f} s (notebooks {timings['notebook_compute_seconds']:.0f} s).")
        return 0
    except Exception as exc:  # noqa: BLE001  (one clear line for the user; the task logs above have the details)
        print(f"\nDEMO FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if seeding.poll() is None:
            seeding.kill()
        pool.shutdown(wait=True)
        if workspace is None and starting.done() and not starting.exception():
            workspace = starting.result()
        if workspace is not None:
            workspace.stop()


if __name__ == "__main__":
    sys.exit(main())
