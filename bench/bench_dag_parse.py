"""DAG parse cost per file of dags/ versus an anchor DAG written the plain provider way.

Parses every file side by side in ONE warm process, as the dag processor does (its `parsing_pre_import_modules`
imports a file's modules before parsing, so what a parse pays is executing the DAG file itself): one warm-up
parse each, then `ROUNDS` rounds in which each file is parsed once, in rotating order so load noise spreads
evenly. Our files' job-config cache is cleared before every parse, so each parse pays for reading the YAML
profile file too (a fresh dag-processor child would). Also records, per file, the heavy libraries a cold
import of the file pulls in (must be none).

Goals (issue 5): median parse <= 50 ms per file and <= 1.5 x the anchor. Writes bench/results/dag_parse.json/.md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import write_report

REPO = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("BENCH_PARSE_ROUNDS", "30"))
ANCHORS = REPO / "bench" / "anchor_dags"
ANCHOR = ANCHORS / "anchor_plain_provider.py"
# Same anchor plus a 12-Param trigger form: what Airflow's Params cost, so the rest is attributable to our code.
ANCHOR_WITH_PARAMS = ANCHORS / "anchor_plain_provider_with_params.py"
HEAVY = ("mlflow", "pandas", "sklearn", "numpy", "flaml", "lightgbm", "deltalake", "churn", "local_workspace")

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
# The anchors import their shared tasks from their folder, as DAG files import from the DAGs folder Airflow puts
# on sys.path.
sys.path.insert(0, str(ANCHORS))


def _heavy_modules_on_cold_import(path: Path) -> list[str]:
    code = (
        f"import runpy, sys, json; sys.path.insert(0, {str(ANCHORS)!r}); runpy.run_path({str(path)!r}); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"{path} does not import:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    from airflow.dag_processing.dagbag import DagBag

    from churn_pipeline import config as job_config

    files = [ANCHOR, ANCHOR_WITH_PARAMS, *sorted((REPO / "dags").glob("*.py"))]
    bag = DagBag(dag_folder=str(REPO / "dags"), collect_dags=False)

    def parse(path: Path) -> float:
        job_config._load.cache_clear()
        start = time.perf_counter()
        found = bag.process_file(str(path), only_if_updated=False)
        elapsed = time.perf_counter() - start
        if not found or bag.import_errors:
            raise SystemExit(f"{path} failed to parse: {bag.import_errors}")
        return elapsed * 1000

    for path in files:  # warm-up: imports land in sys.modules, like the processor's pre-import
        parse(path)
    samples: dict[Path, list[float]] = {path: [] for path in files}
    for round_index in range(ROUNDS):
        shift = round_index % len(files)
        for path in files[shift:] + files[:shift]:
            samples[path].append(parse(path))

    anchor_median = statistics.median(samples[ANCHOR])
    params_anchor_median = statistics.median(samples[ANCHOR_WITH_PARAMS])
    rows = []
    for path in files:
        values = sorted(samples[path])
        median = statistics.median(values)
        rows.append(
            {
                "file": str(path.relative_to(REPO)),
                "median_ms": round(median, 2),
                "p90_ms": round(values[int(0.9 * (len(values) - 1))], 2),
                "ratio_vs_anchor": round(median / anchor_median, 2),
                "ratio_vs_anchor_with_params": round(median / params_anchor_median, 2),
                "heavy_modules_on_cold_import": _heavy_modules_on_cold_import(path),
            }
        )
    ours = [row for row in rows if row["file"].startswith("dags/")]
    result = {
        "rounds": ROUNDS,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "files": rows,
        "goal_met": all(
            r["median_ms"] <= 50 and r["ratio_vs_anchor"] <= 1.5 and not r["heavy_modules_on_cold_import"] for r in ours
        ),
    }
    lines = [
        "# DAG parse cost: dags/ vs a plain-provider anchor DAG (one warm process)",
        "",
        f"{ROUNDS} rounds, rotating order; {result['cpus']} CPUs, 1-minute load average {result['load_average_1m']} "
        "(the machine is shared: load inflates every figure). Goal: median <= 50 ms and <= 1.5 x anchor, and no "
        "heavy library (mlflow, pandas, sklearn, ...) imported by the file.",
        "",
        "| file | median ms | p90 ms | x anchor | x anchor with params | heavy modules on cold import |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        heavy = ", ".join(row["heavy_modules_on_cold_import"]) or "none"
        lines.append(
            f"| {row['file']} | {row['median_ms']} | {row['p90_ms']} | {row['ratio_vs_anchor']} | "
            f"{row['ratio_vs_anchor_with_params']} | {heavy} |"
        )
    lines += [
        "",
        f"Goal met: {'yes' if result['goal_met'] else 'NO'} (the ratio is against the plain anchor, as the issue "
        "defines it). Most of the gap is the DAGs' validated trigger forms: Airflow checks every Param's JSON "
        "schema at parse and deep-copies the params into every task; the 'with params' anchor pays the same.",
    ]
    write_report("dag_parse", result, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
