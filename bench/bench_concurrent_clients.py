"""Local workspace: registry read throughput and latency under 100 concurrent clients.

One workspace (1 uvicorn worker, the default of `make demo` and the tests), one model with a version and an open
transition request; 100 clients (aiohttp tasks in this process, each with its own connection) read for a fixed
window, endpoint by endpoint: MLflow's own `registered-models/get` and `model-versions/get` (served by MLflow's
code) and the Databricks-only `databricks/registered-models/get` and `transition-requests/list` (served by the
local workspace's registry extension). Reports requests/s and p50/p95 latency per endpoint, and the ratio of the
Databricks-only endpoints' throughput to MLflow's own on the same server, which the machine's load moves much
less than the absolute figures. Writes bench/results/concurrent_clients.json and .md; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import requests
from report import write_report

from local_workspace.launcher import start_workspace

CLIENTS = 100
WINDOW_S = float(os.environ.get("BENCH_WINDOW_S", "10"))
MODEL = "Concurrent Clients Bench"
ENDPOINTS = {
    "registered-models/get (MLflow)": ("2.0/mlflow/registered-models/get", {"name": MODEL}),
    "model-versions/get (MLflow)": ("2.0/mlflow/model-versions/get", {"name": MODEL, "version": "1"}),
    "databricks/registered-models/get": ("2.0/mlflow/databricks/registered-models/get", {"name": MODEL}),
    "transition-requests/list": ("2.0/mlflow/transition-requests/list", {"name": MODEL, "version": "1"}),
}
MLFLOW_OWN = ("registered-models/get (MLflow)", "model-versions/get (MLflow)")


def _seed(url: str, token: str) -> None:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    api = f"{url}/api/2.0/mlflow"
    for path, body in (
        ("registered-models/create", {"name": MODEL}),
        ("model-versions/create", {"name": MODEL, "source": "dbfs:/bench/model"}),
        ("transition-requests/create", {"name": MODEL, "version": "1", "stage": "Staging"}),
    ):
        http.post(f"{api}/{path}", json=body, timeout=60).raise_for_status()


async def _load(url: str, token: str, path: str, params: dict) -> dict:
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + WINDOW_S

    async def client() -> None:
        nonlocal errors
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                async with session.get(f"{url}/api/{path}", params=params) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
    }


def main() -> int:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, start_workspace(Path(tmp) / "ws") as ws:
        _seed(ws.url, ws.token)
        results = {name: asyncio.run(_load(ws.url, ws.token, *spec)) for name, spec in ENDPOINTS.items()}
    load_after = os.getloadavg()[0]
    mlflow_rate = statistics.mean(results[name]["requests_per_s"] for name in MLFLOW_OWN)
    databricks_rate = statistics.mean(r["requests_per_s"] for name, r in results.items() if name not in MLFLOW_OWN)
    ratio = round(databricks_rate / mlflow_rate, 2)
    figures = {
        "clients": CLIENTS,
        "window_s": WINDOW_S,
        "workers": 1,
        "load_1m": [round(load_before, 2), round(load_after, 2)],
        "endpoints": results,
        "databricks_only_over_mlflow_own": ratio,
    }
    lines = [
        f"# Local workspace: registry reads under {CLIENTS} concurrent clients",
        "",
        f"1 uvicorn worker; {CLIENTS} aiohttp clients in one process on the same 2-core machine, {WINDOW_S:g} s per "
        f"endpoint; 1-minute load average {load_before:.2f} -> {load_after:.2f} (shared machine: the clients and "
        "any other work compete with the server for the two cores).",
        "",
        "| endpoint | requests/s | p50 ms | p95 ms | errors |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {r['requests_per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['errors']} |"
            for name, r in results.items()
        ),
        "",
        f"Databricks-only endpoints / MLflow's own (mean requests/s): {ratio}.",
    ]
    write_report("concurrent_clients", figures, lines)
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
