"""Transition request filed → test notebook run submitted: the webhook (push) path vs polling.

One `make airflow-push` stack (hourly schedule off), one version trained, then for each of N hand-made requests
(the databricks-sdk, as a person or another system would file them):

* webhook: the registry webhook is ACTIVE; the request's delivery reaches the receiver, whose asset event starts
  the promotion DAG; measured until the test notebook run is visible in the workspace's runs/list (polled every 0.1 s).
* sensor: the webhook is DISABLED; a promotion run is started first and its deferrable sensor (poke interval of
  the `local` profile) is already waiting in the triggerer when the request is filed; measured the same way.
* hourly schedule: computed, not measured (an hour per sample): the request waits for the next hourly tick,
  uniformly 0-3600 s, then the run's own path to the test run (the webhook path's median: like an asset-triggered
  run, a scheduled run's first poke finds the request at once).

Each promotion run finishes (test + decision) before the next request, so runs never overlap. Goal (issue 13):
webhook path ≤ 5 s on this machine. Writes bench/results/webhook_latency.json/.md.

    python bench/bench_webhook_latency.py [--requests N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from report import write_report

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the stack helpers the push end-to-end test uses

import support.push_flow as push  # noqa: E402
from support.waiting import wait_for  # noqa: E402

SENSOR_TASK = "wait_for_transition_requests"
HOUR = 3600.0
GOAL_SECONDS = 5.0


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "median_s": round(statistics.median(values), 2),
        "p95_s": round(p95(values), 2),
        "min_s": round(min(values), 2),
        "max_s": round(max(values), 2),
        "samples_s": [round(v, 2) for v in values],
    }


def set_webhook_status(client, status: str) -> None:
    from databricks.sdk.service.ml import RegistryWebhookStatus

    for webhook in client.model_registry.list_webhooks(model_name=push.MODEL):
        client.model_registry.update_webhook(webhook.id, status=RegistryWebhookStatus(status))


def webhook_path(stack, client, trained: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        samples.append(push.request_and_time_test_run(client, push.register_copy(client, trained)))
        push.wait_promotions_idle(stack)
    return samples


def sensor_path(stack, client, trained: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        candidate = push.register_copy(client, trained)
        run = push.trigger(stack, push.PROMOTION, {})
        wait_for(
            lambda run_id=run["dag_run_id"]: stack.task_state(push.PROMOTION, run_id, SENSOR_TASK) == "deferred",
            timeout=600,
            what="the sensor to wait in the triggerer",
            interval=0.5,
        )
        samples.append(push.request_and_time_test_run(client, candidate))
        push.wait_promotions_idle(stack)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    local_dir = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    try:
        with push.push_stack(local_dir) as stack:
            client = push.sdk(stack)
            trained = push.train_first_version(stack)
            webhook = webhook_path(stack, client, trained, args.requests)
            set_webhook_status(client, "DISABLED")
            sensor = sensor_path(stack, client, trained, args.requests)
    finally:
        shutil.rmtree(local_dir, ignore_errors=True)
    poke = 2  # include/config/databricks_jobs.yaml, profile `local` (real-workspace profiles: 30 s)
    run_path = statistics.median(webhook)  # request → test run once a run starts and its first poke finds it
    result = {
        "cpus": os.cpu_count(),
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "requests_per_path": args.requests,
        "webhook": summary(webhook),
        "sensor": {**summary(sensor), "poke_interval_s": poke},
        "hourly_schedule_computed": {
            "median_s": round(HOUR / 2 + run_path, 1),
            "p95_s": round(0.95 * HOUR + run_path, 1),
        },
        "goal_s": GOAL_SECONDS,
        "goal_met": {"median": run_path <= GOAL_SECONDS, "p95": p95(webhook) <= GOAL_SECONDS},
        "bench_wall_s": round(time.monotonic() - started, 1),
    }
    write_report("webhook_latency", result, markdown(result))
    return 0


def markdown(r: dict) -> list[str]:
    w, s, h = r["webhook"], r["sensor"], r["hourly_schedule_computed"]
    return [
        "# Transition request → test notebook run submitted: webhook vs polling",
        "",
        f"{r['cpus']} CPUs, 1-minute load average {r['load_average_1m'][0]} -> {r['load_average_1m'][1]} "
        f"(shared machine); {r['requests_per_path']} hand-made requests per measured path, one real Airflow "
        "(`make airflow-push`), the local workspace. Measured from just before `create_transition_request` until "
        "the test run is listed by runs/list (polled every 0.1 s).",
        "",
        "| path | how | median s | p95 s | min s | max s |",
        "|---|---|---|---|---|---|",
        f"| webhook | measured | {w['median_s']} | {w['p95_s']} | {w['min_s']} | {w['max_s']} |",
        f"| sensor (poke {s['poke_interval_s']} s, already waiting) | measured | {s['median_s']} | {s['p95_s']} | "
        f"{s['min_s']} | {s['max_s']} |",
        f"| hourly schedule | computed: U(0, 3600 s) + webhook median | {h['median_s']} | {h['p95_s']} | | |",
        "",
        f"Goal (webhook ≤ {r['goal_s']:.0f} s): median {'met' if r['goal_met']['median'] else 'NOT met'}, "
        f"p95 {'met' if r['goal_met']['p95'] else 'NOT met'}. Not broken down per step here; the receiver itself "
        "answered in ~0.4 s in the e2e run's API server access log, and the rest is mostly Airflow starting the "
        "run and three task processes in turn (sensor, select_requests, run_tests) on a loaded machine.",
        "",
        "The sensor path needs a promotion run already waiting when the request is filed (a run someone started, "
        "or the hourly run's 2-minute look); on a real workspace its poke interval is 30 s, adding ~15 s on "
        "average. Why a 2 s poke gives ~24 s here (the triggerer's sweep, the task resuming) was not analysed. "
        "Without a waiting run, polling means the hourly schedule. Samples: "
        f"webhook {w['samples_s']}; sensor {s['samples_s']}.",
    ]


if __name__ == "__main__":
    sys.exit(main())
