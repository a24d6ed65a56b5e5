"""The push flow on a real `make airflow-push` stack, for the end-to-end test and the latency benchmark: train one
version, file hand-made transition requests with the databricks-sdk, see the promotion's test notebook runs
appear in the workspace's runs/list."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from support.waiting import wait_for

UI_TESTS = Path(__file__).resolve().parents[1] / "ui"
if str(UI_TESTS) not in sys.path:
    sys.path.insert(0, str(UI_TESTS))

from stack import Stack, start_stack  # noqa: E402  (tests/ui is not a package)

from churn_contract.options import DEFAULT_MODEL_NAME  # noqa: E402

MODEL = DEFAULT_MODEL_NAME  # the model `make airflow-push` registers the webhook for
RETRAIN, PROMOTION = "churn_model_retraining", "churn_model_promotion"
TEST_RUN_NAME = "airflow test_candidate_model"  # NotebookRunOperator's run name for the test notebook
RUN_TIMEOUT = 2400


@contextlib.contextmanager
def push_stack(local_dir: Path) -> Iterator[Stack]:
    """`make airflow-push` on free ports in `local_dir`, stopped with Ctrl-C on the way out."""
    started = start_stack(local_dir, ("--push",))
    try:
        yield started
    finally:
        started.interrupt()


def sdk(stack: Stack):
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=stack.workspace_url, token=stack.workspace_token)


def wait_promotions_idle(stack: Stack) -> list[dict]:
    """Every promotion run so far, once none is queued or running and no asset event waits for one. (With push on,
    a retraining's request starts the promotion twice, by the webhook and by the retraining's own asset event; the
    later event may wait while the first run works, then start a run of its own.)"""

    def idle():
        runs = stack.runs(PROMOTION)
        waiting = stack.api(f"/api/v2/dags/{PROMOTION}/assets/queuedEvents")["total_entries"]
        return runs if not waiting and all(r["state"] in ("success", "failed") for r in runs) else None

    return wait_for(idle, timeout=RUN_TIMEOUT, what="promotion runs to finish", interval=2)


def trigger(stack: Stack, dag_id: str, conf: dict) -> dict:
    """A manual run as the trigger form makes it (with a logical date: the retraining's templates read its data
    interval)."""
    now = datetime.now(UTC).isoformat()
    return stack.api(f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": now, "conf": conf})


def train_first_version(stack: Stack) -> str:
    """One retraining run (small AutoML budget) and the promotions it causes; returns the trained version."""
    run = trigger(stack, RETRAIN, {"timeout_minutes": 0.1})
    assert stack.wait_run(RETRAIN, run["dag_run_id"], RUN_TIMEOUT)["state"] == "success"
    wait_for(lambda: stack.runs(PROMOTION), timeout=600, what="the retraining's promotion run", interval=2)
    wait_promotions_idle(stack)
    return str(stack.xcom(RETRAIN, run["dag_run_id"], "read_training_result", key="version"))


def register_copy(client, version: str) -> str:
    """The trained artifacts registered again as a new version of MODEL (a candidate that passes its tests)."""
    original = client.model_registry.get_model_version(MODEL, version).model_version
    created = client.model_registry.create_model_version(
        MODEL, original.source, run_id=original.run_id, description=f"copy of v{version}"
    )
    return created.model_version.version


def test_run_ids(client) -> set[int]:
    return {r.run_id for r in client.jobs.list_runs(limit=25) if r.run_name == TEST_RUN_NAME}


def request_and_time_test_run(client, version: str, timeout: float = 600) -> float:
    """File a request to Staging by hand and return the seconds until its test notebook run is visible in the
    workspace's runs/list (polled every 0.1 s; a queued run's `start_time` is 0 there, so the clock is ours)."""
    before = test_run_ids(client)
    filed = time.time()
    client.model_registry.create_transition_request(MODEL, version, "Staging", comment="hand-made request")

    def submitted() -> float | None:
        return time.time() - filed if test_run_ids(client) - before else None

    return wait_for(submitted, timeout=timeout, what=f"the test run of v{version}", interval=0.1)
