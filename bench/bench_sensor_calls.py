"""REST calls per TransitionRequestSensor poke with 1, 100 and 1,000 versions registered.

Starts a local workspace, puts the counting proxy from tests/databricks_registry in front of it, and counts the
calls that reach the wire for each kind of poke. Writes bench/results/sensor_calls.json and .md.
Goal: flat in the number of versions (a quiet poke: 1 call; after k new versions: 1 + k).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-bench-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
sys.path.insert(0, str(ROOT / "tests" / "databricks_registry"))

from fake_context import make_context  # noqa: E402
from fault_proxy import CountingProxy, counted_workspace  # noqa: E402

SIZES = (1, 100, 1000)
LOOKBACK = 5


def bench_size(proxy: CountingProxy, n: int) -> dict:
    from registry_setup import create_model, create_version

    from databricks_registry.hooks import ModelRegistryHook
    from databricks_registry.sensors import TransitionRequestSensor
    from databricks_registry.triggers import TransitionRequestTrigger
    from databricks_registry.watch import VersionWatch, a_detect

    hook = ModelRegistryHook()
    name = f"bench model {n} {os.urandom(3).hex()}"
    create_model(hook, name)
    for _ in range(n):
        create_version(hook, name, "dbfs:/bench/dummy")
    sensor = TransitionRequestSensor(
        task_id="bench", model_name=name, lookback_versions=LOOKBACK, recheck_seconds=0, deferrable=False
    )
    row: dict = {"versions_registered": n}
    row["first_poke_calls"], row["first_poke_ms"], _ = proxy.measure(lambda: sensor.poke(make_context()))
    row["quiet_poke_calls"], row["quiet_poke_ms"], _ = proxy.measure(lambda: sensor.poke(make_context()))
    create_version(hook, name, "dbfs:/bench/dummy")
    row["poke_after_1_new_calls"], _, _ = proxy.measure(lambda: sensor.poke(make_context()))
    for _ in range(3):
        create_version(hook, name, "dbfs:/bench/dummy")
    row["poke_after_3_new_calls"], _, _ = proxy.measure(lambda: sensor.poke(make_context()))
    # What the retraining DAG does: register a version, then request Staging for it.
    newest = create_version(hook, name, "dbfs:/bench/dummy")
    hook.create_transition_request(name, newest, "Staging", "bench")
    row["poke_finding_a_request_calls"], _, found = proxy.measure(lambda: sensor.poke(make_context()))
    assert found.is_done and [e["version"] for e in found.xcom_value] == [newest], found.xcom_value

    # The deferrable path: the trigger's async poke, quiet, after the sensor's first poke handed it the watch.
    watch = VersionWatch(lookback_versions=LOOKBACK, recheck_seconds=0)
    trigger_hook = TransitionRequestTrigger(name).hook
    asyncio.run(a_detect(trigger_hook, name, "Staging", watch, time.time()))
    row["trigger_quiet_poll_calls"], _, _ = proxy.measure(
        lambda: asyncio.run(a_detect(trigger_hook, name, "Staging", watch, time.time()))
    )
    # What listing every version each poke would cost (1 search page per 1,000 versions + one list per version).
    row["naive_list_every_version_calls"] = -(-(n + 6) // 1000) + (n + 6)
    return row


def write(rows: list[dict]) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "REST calls per TransitionRequestSensor poke",
        "lookback_versions": LOOKBACK,
        "rescan_every": 10,
        "rows": rows,
        "notes": "calls counted at the wire by a proxy in front of the local workspace; a rescan poke "
        "(every rescan_every-th) costs the same as the first poke",
    }
    (out / "sensor_calls.json").write_text(json.dumps(result, indent=2) + "\n")
    cols = [
        "versions_registered",
        "first_poke_calls",
        "quiet_poke_calls",
        "poke_after_1_new_calls",
        "poke_after_3_new_calls",
        "poke_finding_a_request_calls",
        "trigger_quiet_poll_calls",
        "naive_list_every_version_calls",
        "first_poke_ms",
        "quiet_poke_ms",
    ]
    lines = [
        "# REST calls per sensor poke",
        "",
        f"look-back {LOOKBACK} versions, rescan every 10 pokes; counted at the wire.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    (out / "sensor_calls.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    with counted_workspace("bench-sensor-", ROOT) as proxy:
        rows = [bench_size(proxy, n) for n in SIZES]
    write(rows)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
