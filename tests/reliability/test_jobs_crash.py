"""Crashed server, surviving notebook: `kill -9` the server while a notebook runs, restart, and check what the
new server process makes of the run (adopt a finished result, keep watching a live notebook, fail a dead one)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs

sys.path.insert(0, str(Path(__file__).parent))
from hostile_input_support import integrity_check, runner_pids, wait_for

from local_workspace.launcher import start_workspace

pytestmark = [pytest.mark.notebook, pytest.mark.slow]  # kills and restarts the server under running notebooks

# Waits for a go-file, then leaves a side effect and exits with a value: the test decides when it finishes.
WITNESS_NOTEBOOK = """# Databricks notebook source
import pathlib, time
pathlib.Path(dbutils.widgets.get("started_file")).write_text("started")
go = pathlib.Path(dbutils.widgets.get("go_file"))
while not go.exists():
    time.sleep(0.05)
with open(dbutils.widgets.get("effects_file"), "a") as effects:
    effects.write("side effect\\n")
dbutils.notebook.exit("result of " + dbutils.widgets.get("label"))
"""


@pytest.fixture()
def crashable(tmp_path):
    """A workspace of its own (the test kills and restarts it) with the witness notebook in its workspace dir."""
    workspace_dir = tmp_path / "workspace"
    (workspace_dir / "Shared").mkdir(parents=True)
    (workspace_dir / "Shared" / "witness.py").write_text(WITNESS_NOTEBOOK)
    holder = {"ws": start_workspace(data_dir=tmp_path / "data", workspace_dir=workspace_dir)}
    try:
        yield holder
    finally:
        holder["ws"].stop()
        for pid in runner_pids(tmp_path):  # a notebook a failed test left waiting for its go-file
            os.killpg(pid, signal.SIGKILL)


def _submit(client: WorkspaceClient, tmp_path: Path, label: str, token: str | None = None) -> tuple[int, dict]:
    files = {name: str(tmp_path / f"{label}-{name}") for name in ("started_file", "go_file", "effects_file")}
    run = client.jobs.submit(
        run_name=label,
        idempotency_token=token,
        tasks=[
            jobs.SubmitTask(
                task_key="witness",
                notebook_task=jobs.NotebookTask(
                    notebook_path="/Shared/witness", base_parameters={**files, "label": label}
                ),
            )
        ],
    )
    wait_for(lambda: Path(files["started_file"]).exists(), what=f"notebook {label} to start")
    return run.run_id, {k: Path(v) for k, v in files.items()}


def _crash(holder) -> None:
    """SIGKILL the server's process group: workers and dispatcher die, the notebook (own session) lives on."""
    ws = holder["ws"]
    os.killpg(ws.process.pid, signal.SIGKILL)
    ws.process.wait(60)


def _ended(run: jobs.Run) -> jobs.Run | None:
    ended = (jobs.RunLifeCycleState.TERMINATED, jobs.RunLifeCycleState.INTERNAL_ERROR, jobs.RunLifeCycleState.SKIPPED)
    return run if run.state.life_cycle_state in ended else None


def test_notebook_that_finished_while_the_server_was_down_is_adopted(crashable, tmp_path):
    ws = crashable["ws"]
    client = WorkspaceClient(host=ws.url, token=ws.token)
    token = f"crash-{time.time_ns()}"
    run_id, files = _submit(client, tmp_path, "adopted", token)
    task_dir = ws.data_dir / "runs" / str(run_id)
    _crash(crashable)
    files["go_file"].touch()
    wait_for(lambda: not runner_pids(task_dir), what="the notebook to finish while the server is down")

    ws = crashable["ws"] = ws.restart()
    client = WorkspaceClient(host=ws.url, token=ws.token)
    run = client.jobs.wait_get_run_job_terminated_or_skipped(run_id)
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    output = client.jobs.get_run_output(run.tasks[0].run_id)
    assert output.notebook_output.result == "result of adopted"
    # The same idempotency token answers the adopted run; nothing ran a second time.
    again = client.jobs.submit(
        run_name="resubmitted",
        idempotency_token=token,
        tasks=[jobs.SubmitTask(task_key="witness", notebook_task=jobs.NotebookTask(notebook_path="/Shared/witness"))],
    )
    assert again.run_id == run_id
    assert files["effects_file"].read_text() == "side effect\n"
    assert integrity_check(ws.data_dir / "workspace.db") == "ok"


def test_notebook_still_running_after_the_restart_is_watched_to_its_end(crashable, tmp_path):
    ws = crashable["ws"]
    run_id, files = _submit(WorkspaceClient(host=ws.url, token=ws.token), tmp_path, "watched")
    _crash(crashable)
    ws = crashable["ws"] = ws.restart()
    client = WorkspaceClient(host=ws.url, token=ws.token)
    assert client.jobs.get_run(run_id).state.life_cycle_state == jobs.RunLifeCycleState.RUNNING
    files["go_file"].touch()
    run = client.jobs.wait_get_run_job_terminated_or_skipped(run_id)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    assert client.jobs.get_run_output(run.tasks[0].run_id).notebook_output.result == "result of watched"
    assert files["effects_file"].read_text() == "side effect\n"
    assert integrity_check(ws.data_dir / "workspace.db") == "ok"


def test_notebook_that_died_without_a_result_fails_the_run_clearly(crashable, tmp_path):
    ws = crashable["ws"]
    run_id, files = _submit(WorkspaceClient(host=ws.url, token=ws.token), tmp_path, "lost")
    task_dir = ws.data_dir / "runs" / str(run_id)
    _crash(crashable)
    for pid in runner_pids(task_dir):  # the machine went away: the notebook died too
        os.killpg(pid, signal.SIGKILL)
    wait_for(lambda: not runner_pids(task_dir), what="the notebook to die")
    ws = crashable["ws"] = ws.restart()
    client = WorkspaceClient(host=ws.url, token=ws.token)
    run = wait_for(lambda: _ended(client.jobs.get_run(run_id)), what="the run to end")
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.INTERNAL_ERROR
    assert run.state.result_state == jobs.RunResultState.FAILED
    assert "restarted" in run.state.state_message
    assert not files["effects_file"].exists()
    assert integrity_check(ws.data_dir / "workspace.db") == "ok"
