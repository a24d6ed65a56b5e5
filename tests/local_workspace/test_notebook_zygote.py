"""Runs forked from the notebook zygote stay isolated from each other, are killable with their children, and
still run after the zygote died (the server starts a new one)."""

from __future__ import annotations

import json
import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from support.waiting import wait_for

pytestmark = pytest.mark.notebook

NOTEBOOKS = "/Workspace/tests/local_workspace/notebooks"
NOTEBOOK_DIR = Path(__file__).parent / "notebooks"
WAIT = timedelta(minutes=3)


@pytest.fixture()
def client(workspace) -> WorkspaceClient:
    return WorkspaceClient(host=workspace.url, token=workspace.token)


def _task(notebook: str, **params: str) -> jobs.SubmitTask:
    return jobs.SubmitTask(
        task_key="probe",
        notebook_task=jobs.NotebookTask(notebook_path=f"{NOTEBOOKS}/{notebook}", base_parameters=params),
    )


def probe(client: WorkspaceClient, mark: str) -> dict:
    run = client.jobs.submit(run_name=f"probe {mark}", tasks=[_task("zygote_probe", mark=mark)]).result(WAIT)
    output = client.jobs.get_run_output(run.tasks[0].run_id)
    assert run.state.result_state == jobs.RunResultState.SUCCESS, output.error_trace
    return json.loads(output.notebook_output.result)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_runs_see_their_own_process_environment_directory_and_modules(client):
    first = probe(client, "first")
    second = probe(client, "second")
    for seen in (first, second):
        assert seen["preloaded"] and "local_workspace.runner.zygote" in _cmdline(seen["ppid"])
        assert seen["cwd"] == seen["sys_path0"] == str(NOTEBOOK_DIR)
        assert seen["file"] == str(NOTEBOOK_DIR / "zygote_probe.py")
        assert seen["argv0"].endswith("local_workspace/runner/__main__.py")
        assert seen["pid"] == seen["pgid"] == seen["sid"]  # its own session: cancel kills its whole tree
        assert seen["token_set"]
    # What the first run changed (environment, a module's global, sys.modules, cwd) is not in the second.
    assert second["env_mark"] is None and second["module_mark"] is None and not second["injected_module"]
    assert first["pid"] != second["pid"]
    assert first["random"] != second["random"] and first["numpy_random"] != second["numpy_random"]


def test_cancel_kills_a_forked_run_and_its_children(client, tmp_path):
    pid_file = tmp_path / "child.pid"
    waiter = client.jobs.submit(run_name="cancel forked", tasks=[_task("spawn_and_wait", pid_file=str(pid_file))])
    child = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), what="the notebook's child process"))
    runner = os.getpgid(child)
    assert "local_workspace.runner --result" in _cmdline(runner)
    client.jobs.cancel_run(waiter.run_id)
    run = waiter.result(WAIT)
    assert run.state.result_state == jobs.RunResultState.CANCELED
    wait_for(lambda: not _alive(child) and not _alive(runner), what="the run's processes to end", timeout=30)


def _zygote_of(server_pid: int) -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and "local_workspace.runner.zygote" in _cmdline(int(entry.name)):
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == server_pid and stat[0] != "Z":
                return int(entry.name)
    return None


def test_a_run_after_the_zygote_was_killed_gets_a_new_zygote(client, workspace):
    probe(client, "before")  # the zygote starts with a server's first notebook run
    old = _zygote_of(workspace.process.pid)
    assert old is not None
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: _zygote_of(workspace.process.pid) is None, what="the zygote to die")
    after = probe(client, "after")
    assert after["preloaded"] and after["ppid"] != old and after["ppid"] == _zygote_of(workspace.process.pid)
