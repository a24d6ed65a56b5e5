"""Run life cycle: idempotency tokens, cancel, timeouts, queueing beyond the concurrency limit, server restarts."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from support.waiting import wait_for

from local_workspace.launcher import start_workspace

pytestmark = [pytest.mark.notebook, pytest.mark.slow]  # notebook runs; cancels, timeouts, restarts

NOTEBOOKS = "/Workspace/tests/local_workspace/notebooks"
REPO_ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
WAIT = timedelta(minutes=3)


def sleep_task(seconds: float, key: str = "sleep", timeout_seconds: int | None = None) -> jobs.SubmitTask:
    return jobs.SubmitTask(
        task_key=key,
        timeout_seconds=timeout_seconds,
        notebook_task=jobs.NotebookTask(notebook_path=f"{NOTEBOOKS}/sleep", base_parameters={"seconds": str(seconds)}),
    )


@pytest.fixture()
def client(workspace) -> WorkspaceClient:
    return WorkspaceClient(host=workspace.url, token=workspace.token)


def test_idempotency_token_returns_the_same_run_even_after_it_finished(client):
    token = f"retrain-{time.time_ns()}"
    first = client.jobs.submit(run_name="idem", idempotency_token=token, tasks=[sleep_task(0)])
    second = client.jobs.submit(run_name="idem again", idempotency_token=token, tasks=[sleep_task(0)])
    assert second.run_id == first.run_id
    finished = first.result(WAIT)
    assert finished.state.result_state == jobs.RunResultState.SUCCESS
    third = client.jobs.submit(run_name="idem later", idempotency_token=token, tasks=[sleep_task(0)])
    assert third.run_id == first.run_id
    assert client.jobs.get_run(first.run_id).run_name == "idem"
    other = client.jobs.submit(run_name="other token", idempotency_token=token + "-2", tasks=[sleep_task(0)])
    assert other.run_id != first.run_id


def test_cancel_a_running_run_kills_the_notebook(client):
    waiter = client.jobs.submit(run_name="cancel", tasks=[sleep_task(120)])
    wait_for(
        lambda: client.jobs.get_run(waiter.run_id).state.life_cycle_state == jobs.RunLifeCycleState.RUNNING,
        what="RUNNING",
    )
    started = time.monotonic()
    client.jobs.cancel_run(waiter.run_id)
    run = waiter.result(WAIT)
    assert time.monotonic() - started < 30
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED
    assert run.state.result_state == jobs.RunResultState.CANCELED
    assert run.state.user_cancelled_or_timedout is True
    assert run.tasks[0].state.result_state == jobs.RunResultState.CANCELED
    # Cancelling a finished run is a no-op, as on Databricks.
    client.jobs.cancel_run(waiter.run_id)
    assert client.jobs.get_run(waiter.run_id).state.result_state == jobs.RunResultState.CANCELED


def test_run_timeout_ends_as_timedout(client):
    run = client.jobs.submit(run_name="timeout", timeout_seconds=2, tasks=[sleep_task(120)]).result(WAIT)
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED
    assert run.state.result_state == jobs.RunResultState.TIMEDOUT
    assert run.state.user_cancelled_or_timedout is True
    assert "timed out" in run.state.state_message
    assert run.end_time - run.start_time < 60_000


def test_task_timeout_ends_as_timedout(client):
    run = client.jobs.submit(run_name="task timeout", tasks=[sleep_task(120, timeout_seconds=1)]).result(WAIT)
    assert run.tasks[0].state.result_state == jobs.RunResultState.TIMEDOUT
    assert run.state.result_state == jobs.RunResultState.TIMEDOUT


@pytest.fixture(scope="module")
def single_slot_workspace(tmp_path_factory):
    """A workspace of its own that runs one run at a time (and that this module may restart)."""
    ws = start_workspace(
        data_dir=tmp_path_factory.mktemp("single-slot"), workspace_dir=REPO_ROOT, max_concurrent_runs=1
    )
    holder = {"ws": ws}
    try:
        yield holder
    finally:
        holder["ws"].stop()


def test_runs_beyond_the_limit_wait_in_the_queue(single_slot_workspace):
    ws = single_slot_workspace["ws"]
    client = WorkspaceClient(host=ws.url, token=ws.token)
    first = client.jobs.submit(run_name="slot holder", tasks=[sleep_task(3)])
    wait_for(
        lambda: client.jobs.get_run(first.run_id).state.life_cycle_state == jobs.RunLifeCycleState.RUNNING,
        what="first run RUNNING",
    )
    second = client.jobs.submit(run_name="queued", tasks=[sleep_task(0)])
    submitted = time.monotonic()
    # Every look at the second run taken while the holder still runs must find it waiting: the second run is read
    # first, so a holder still RUNNING afterwards held the slot at that moment.
    while_held = []

    def holder_done() -> bool:
        queued = client.jobs.get_run(second.run_id)
        if client.jobs.get_run(first.run_id).state.life_cycle_state == jobs.RunLifeCycleState.RUNNING:
            while_held.append((time.monotonic() - submitted, queued))
            return False
        return True

    wait_for(holder_done, what="the slot holder to end")
    # The dispatcher runs every 0.2 s: a second of looks spans several rounds in which an ignored limit would
    # have started the run.
    assert len(while_held) >= 3 and while_held[-1][0] >= 1.0, [seconds for seconds, _ in while_held]
    for _, queued in while_held:
        assert queued.state.life_cycle_state == jobs.RunLifeCycleState.QUEUED
        assert not queued.start_time, "the queued run started while the slot was taken"
        assert queued.status.queue_details.code == jobs.QueueDetailsCodeCode.ACTIVE_RUNS_LIMIT_REACHED
    done = second.result(WAIT)
    assert done.state.result_state == jobs.RunResultState.SUCCESS
    holder = client.jobs.get_run(first.run_id)
    assert holder.state.result_state == jobs.RunResultState.SUCCESS, "the slot holder ran to its end"
    assert done.start_time >= holder.end_time - 1000, "the queued run started while the slot was taken"


def test_cancel_a_queued_run_ends_it_without_running(single_slot_workspace):
    ws = single_slot_workspace["ws"]
    client = WorkspaceClient(host=ws.url, token=ws.token)
    holder = client.jobs.submit(run_name="slot holder", tasks=[sleep_task(120)])
    queued = client.jobs.submit(run_name="never runs", tasks=[sleep_task(0)])
    client.jobs.cancel_run(queued.run_id)
    run = client.jobs.get_run(queued.run_id)
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED
    assert run.state.result_state == jobs.RunResultState.CANCELED
    assert run.tasks[0].state.result_state == jobs.RunResultState.CANCELED
    client.jobs.cancel_run(holder.run_id)
    holder.result(WAIT)


def test_restart_keeps_watching_a_notebook_that_still_runs(single_slot_workspace):
    ws = single_slot_workspace["ws"]
    client = WorkspaceClient(host=ws.url, token=ws.token)
    running = client.jobs.submit(run_name="interrupted", tasks=[sleep_task(300)])
    wait_for(
        lambda: client.jobs.get_run(running.run_id).state.life_cycle_state == jobs.RunLifeCycleState.RUNNING,
        what="RUNNING",
    )
    waiting = client.jobs.submit(run_name="still queued", tasks=[sleep_task(0)])
    task_dir = ws.data_dir / "runs" / str(running.run_id)
    notebooks = _runner_processes_for(task_dir)
    ws.process.kill()  # no chance to clean up: as if the server process crashed
    ws.process.wait(30)
    ws = single_slot_workspace["ws"] = ws.restart()
    client = WorkspaceClient(host=ws.url, token=ws.token)
    # The notebook survived the crash: the new server process watches it instead of failing the run.
    run = client.jobs.get_run(running.run_id)
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.RUNNING
    assert _runner_processes_for(task_dir) == notebooks
    # Cancel still reaches it (and so would its timeout).
    client.jobs.cancel_run(running.run_id)
    run = running.result(WAIT)
    assert run.state.result_state == jobs.RunResultState.CANCELED
    assert not _runner_processes_for(task_dir)
    # Queued work survives the restart and runs.
    assert waiting.result(WAIT).state.result_state == jobs.RunResultState.SUCCESS


def test_graceful_stop_ends_running_runs_and_their_notebooks(single_slot_workspace):
    ws = single_slot_workspace["ws"]
    client = WorkspaceClient(host=ws.url, token=ws.token)
    running = client.jobs.submit(run_name="stopped by shutdown", tasks=[sleep_task(300)])
    wait_for(
        lambda: client.jobs.get_run(running.run_id).state.life_cycle_state == jobs.RunLifeCycleState.RUNNING,
        what="RUNNING",
    )
    task_dir = ws.data_dir / "runs" / str(running.run_id)
    assert task_dir.is_dir()
    ws = single_slot_workspace["ws"] = ws.restart()  # SIGTERM: the server shuts down cleanly
    client = WorkspaceClient(host=ws.url, token=ws.token)
    run = client.jobs.get_run(running.run_id)
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.INTERNAL_ERROR
    assert "stopped while this run was active" in run.state.state_message
    assert not _runner_processes_for(task_dir)


def _runner_processes_for(run_dir) -> list[int]:
    from pathlib import Path

    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if b"local_workspace.runner" in cmdline and str(run_dir).encode() in cmdline:
                found.append(int(proc.name))
    return found
