"""Local workspace: start-up time and latency of registry calls (1 and 2 uvicorn workers).

Starts a fresh workspace per configuration, registers one model version per request cycle and times
create-request -> list -> approve(+archive) -> comment over real HTTP. Writes bench/results/workspace_registry.json
and .md. Figures only; nothing here asserts a time.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
from report import write_report

from local_workspace.launcher import start_workspace

CYCLES = 30


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def _request_cycle(http: requests.Session, api: str, name: str, version: str) -> dict[str, Callable]:
    """The four timed calls on one fresh version: file a request, list it, approve it (archiving), comment."""
    return {
        "create": lambda: http.post(
            f"{api}/transition-requests/create", json={"name": name, "version": version, "stage": "Staging"}, timeout=60
        ),
        "list": lambda: http.get(
            f"{api}/transition-requests/list", params={"name": name, "version": version}, timeout=60
        ),
        "approve": lambda: http.post(
            f"{api}/transition-requests/approve",
            json={"name": name, "version": version, "stage": "Staging", "archive_existing_versions": True},
            timeout=60,
        ),
        "comment": lambda: http.post(
            f"{api}/comments/create", json={"name": name, "version": version, "comment": "ok"}, timeout=60
        ),
    }


def bench(workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-ws-") as tmp:
        started = time.perf_counter()
        ws = start_workspace(Path(tmp) / "ws", workers=workers)
        startup_s = round(time.perf_counter() - started, 2)
        try:
            http = requests.Session()
            http.headers["Authorization"] = f"Bearer {ws.token}"
            api = ws.url + "/api/2.0/mlflow"
            name = "bench model"
            http.post(f"{api}/registered-models/create", json={"name": name}, timeout=60).raise_for_status()
            timings: dict[str, list[float]] = {"create": [], "list": [], "approve": [], "comment": []}
            for _ in range(CYCLES):
                version = http.post(
                    f"{api}/model-versions/create", json={"name": name, "source": "dbfs:/x"}, timeout=60
                ).json()["model_version"]["version"]
                calls = _request_cycle(http, api, name, version)
                for label, call in calls.items():
                    start = time.perf_counter()
                    call().raise_for_status()
                    timings[label].append((time.perf_counter() - start) * 1000)
        finally:
            ws.stop()
    return {
        "workers": workers,
        "startup_s": startup_s,
        "cycles": CYCLES,
        "latency_ms": {
            k: {"p50": round(statistics.median(v), 1), "p95": _percentile(v, 0.95)} for k, v in timings.items()
        },
    }


def main() -> int:
    results = [bench(1), bench(2)]
    lines = [
        "# Local workspace: start-up and registry call latency",
        "",
        f"{CYCLES} cycles of create request, list, approve with archive, comment (real HTTP, loopback).",
        "",
        "| workers | start-up (s) | create p50/p95 (ms) | list p50/p95 | approve p50/p95 | comment p50/p95 |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lat = r["latency_ms"]
        cells = " | ".join(f"{lat[k]['p50']} / {lat[k]['p95']}" for k in ("create", "list", "approve", "comment"))
        lines.append(f"| {r['workers']} | {r['startup_s']} | {cells} |")
    write_report("workspace_registry", results, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
