"""REST calls per PendingValidationSensor poke with 5, 50 and 500 versions of a Unity Catalog model.

Starts a local workspace, puts the counting proxy from tests/databricks_registry in front of it, and counts the
calls that reach the wire for each kind of poke. Writes bench/results/uc_sensor_calls.json and .md.
Goal: flat in the number of versions (one search page per 1,000 versions + a get for at most the K newest READY
versions not already seen settled; a quiet poke: 1 call).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-bench-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
sys.path.insert(0, str(ROOT / "tests" / "databricks_registry"))
sys.path.insert(0, str(ROOT / "tests" / "databricks_registry" / "uc"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_context import make_context  # noqa: E402
from fault_proxy import CountingProxy, counted_workspace  # noqa: E402
from report import write_report  # noqa: E402

SIZES = (5, 50, 500)
LOOKBACK = 5
PASSED = {"validation_status": "PASSED"}
PENDING = {"validation_status": "PENDING"}


def bench_size(proxy: CountingProxy, n: int) -> dict:
    from uc_setup import UcModel

    from databricks_registry.unity_catalog.hook import UnityCatalogModelsHook
    from databricks_registry.unity_catalog.pending import PendingWatch, poke_steps
    from databricks_registry.unity_catalog.sensors import PendingValidationSensor
    from databricks_registry.watch import a_run_steps

    model = UcModel.create(UnityCatalogModelsHook(), f"bench_{n}")
    for _ in range(n):
        model.add_version(PASSED)  # validated long ago: what a model with history looks like
    sensor = PendingValidationSensor(
        task_id="bench", full_name=model.full_name, lookback_versions=LOOKBACK, deferrable=False
    )
    row: dict = {"versions": n}
    row["first_poke_calls"], row["first_poke_ms"], _ = proxy.measure(lambda: sensor.poke(make_context()))
    row["quiet_poke_calls"], row["quiet_poke_ms"], _ = proxy.measure(lambda: sensor.poke(make_context()))
    # What the retraining notebook does: register a version and tag it PENDING.
    newest = model.add_version(PENDING)
    row["poke_finding_one_calls"], _, found = proxy.measure(lambda: sensor.poke(make_context()))
    assert [e["version"] for e in getattr(found, "xcom_value", None) or ()] == [str(newest)], found

    # The deferrable path: the trigger's async poke, quiet, after a first poke filled the settled cache.
    watch = PendingWatch(lookback_versions=LOOKBACK)
    UnityCatalogModelsHook().set_version_tag(model.full_name, newest, "validation_status", "PASSED")
    hook = UnityCatalogModelsHook()
    asyncio.run(a_run_steps(hook, poke_steps(model.full_name, watch, time.time())))
    row["trigger_quiet_poll_calls"], _, _ = proxy.measure(
        lambda: asyncio.run(a_run_steps(hook, poke_steps(model.full_name, watch, time.time())))
    )
    # Reading every version's tags each poke (UC search returns none): one search page + one get per version.
    row["naive_get_every_version_calls"] = 1 + (n + 1)
    return row


COLUMNS = [
    "versions",
    "first_poke_calls",
    "quiet_poke_calls",
    "poke_finding_one_calls",
    "trigger_quiet_poll_calls",
    "naive_get_every_version_calls",
    "first_poke_ms",
    "quiet_poke_ms",
]


def main() -> None:
    with counted_workspace("bench-uc-sensor-", ROOT) as proxy:
        rows = [bench_size(proxy, n) for n in SIZES]
    figures = {
        "benchmark": "REST calls per PendingValidationSensor poke",
        "lookback_versions": LOOKBACK,
        "search_page_size": 1000,
        "rows": rows,
        "notes": "calls counted at the wire by a proxy in front of the local workspace",
    }
    lines = [
        "# REST calls per Unity Catalog pending-validation poke",
        "",
        f"look-back {LOOKBACK} READY versions, search pages of 1,000 versions; counted at the wire. First poke: "
        "1 search + 1 get per version in the look-back window; later pokes skip versions already seen settled "
        "(tag set to another value). Naive: a get for every version, since UC search returns no tags.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(str(row[c]) for c in COLUMNS) + " |" for row in rows]
    write_report("uc_sensor_calls", figures, lines)


if __name__ == "__main__":
    main()
