"""Notebook start cost: `runs/submit` -> the line after a notebook's `import mlflow, pandas`.

Starts a local workspace twice: once with a fresh interpreter per run (LOCAL_WORKSPACE_NOTEBOOK_ZYGOTE=0, what
every run cost before the zygote) and once forking runs from the notebook zygote (the default). The notebook exits
with `time.time()` taken right after its imports; the figure is that minus the client's clock just before the
submit request (same machine, same clock). Writes bench/results/notebook_start.json and .md.
Goal: median <= 1 s with the zygote. The machine is shared: the load average is recorded with each mode.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_report

from local_workspace.launcher import start_workspace

RUNS = 10
GOAL_S = 1.0
NOTEBOOK = """# Databricks notebook source
import time

import mlflow, pandas

dbutils.notebook.exit(repr(time.time()))
"""
MODES = {"fresh interpreter per run (before)": "0", "forked from the zygote (after)": "1"}


def run_once(url: str, headers: dict) -> float:
    """Seconds from just before runs/submit to the line after the notebook's imports."""
    body = {"run_name": "start", "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": "/Shared/start"}}]}
    submitted_at = time.time()
    response = requests.post(f"{url}/api/2.2/jobs/runs/submit", json=body, headers=headers, timeout=60)
    response.raise_for_status()
    run_id = response.json()["run_id"]
    while True:
        run = requests.get(f"{url}/api/2.2/jobs/runs/get", params={"run_id": run_id}, headers=headers, timeout=60)
        state = run.json()["state"]
        if state["life_cycle_state"] in ("TERMINATED", "INTERNAL_ERROR", "SKIPPED"):
            break
        time.sleep(0.1)
    task_run_id = run.json()["tasks"][0]["run_id"]
    output = requests.get(
        f"{url}/api/2.2/jobs/runs/get-output", params={"run_id": task_run_id}, headers=headers, timeout=60
    ).json()
    if state.get("result_state") != "SUCCESS":
        raise SystemExit(f"benchmark notebook failed: {output.get('error')}\n{output.get('error_trace')}")
    return float(output["notebook_output"]["result"]) - submitted_at


def zygote_rss_mb(server_pid: int) -> float | None:
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"local_workspace.runner.zygote" in (entry / "cmdline").read_bytes():
                status = (entry / "status").read_text()
                if f"PPid:\t{server_pid}\n" in status:
                    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
                    return round(int(kb) / 1024, 1)
        except OSError:
            continue
    return None


def measure(mode: str, zygote: str, workspace_dir: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-start-") as data_dir:
        ws = start_workspace(
            data_dir=data_dir, workspace_dir=workspace_dir, extra_env={"LOCAL_WORKSPACE_NOTEBOOK_ZYGOTE": zygote}
        )
        try:
            headers = {"Authorization": f"Bearer {ws.token}"}
            load_before = os.getloadavg()[0]
            first = run_once(ws.url, headers)  # with the zygote: includes starting it
            samples = [run_once(ws.url, headers) for _ in range(RUNS)]
            load_after = os.getloadavg()[0]
            rss = zygote_rss_mb(ws.process.pid)
        finally:
            ws.stop()
    ordered = sorted(samples)
    return {
        "mode": mode,
        "first_run_s": round(first, 2),
        "median_s": round(statistics.median(samples), 2),
        "p95_s": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
        "min_s": round(ordered[0], 2),
        "max_s": round(ordered[-1], 2),
        "samples_s": [round(s, 3) for s in samples],
        "load_average_1m": [round(load_before, 2), round(load_after, 2)],
        "zygote_rss_mb": rss,
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-start-ws-") as workspace_dir:
        (Path(workspace_dir) / "Shared").mkdir()
        (Path(workspace_dir) / "Shared" / "start.py").write_text(NOTEBOOK)
        rows = [measure(mode, zygote, Path(workspace_dir)) for mode, zygote in MODES.items()]
    before, after = rows
    ratio = round(before["median_s"] / after["median_s"], 1) if after["median_s"] else None
    result = {
        "benchmark": "runs/submit -> line after `import mlflow, pandas`",
        "runs_per_mode": RUNS,
        "cpus": os.cpu_count(),
        "goal_median_s": GOAL_S,
        "goal_met": after["median_s"] <= GOAL_S,
        "median_ratio_before_over_after": ratio,
        "rows": rows,
    }
    cols = ["mode", "median_s", "p95_s", "min_s", "max_s", "first_run_s", "load_average_1m", "zygote_rss_mb"]
    lines = [
        "# Notebook start: runs/submit -> the line after `import mlflow, pandas`",
        "",
        f"{result['cpus']} CPUs, shared machine (1-minute load average before -> after each mode in the table). "
        f"{RUNS} runs per mode after one first run; goal: median <= {GOAL_S} s with the zygote.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    lines += ["| " + " | ".join(str(row[c]) for c in cols) + " |" for row in rows]
    lines += [
        "",
        f"Median before / after: {ratio} x. Goal met: {'yes' if result['goal_met'] else 'no'}.",
        "",
        "first_run_s: the first run after the server started; with the zygote it includes starting the zygote "
        "(its imports), which happens once per server. zygote_rss_mb: the zygote's resident memory (shared "
        "copy-on-write with the runs it forks).",
    ]
    write_report("notebook_start", result, lines)


if __name__ == "__main__":
    main()
