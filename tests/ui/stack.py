"""Drive a `make airflow` stack from tests: start `scripts/local_airflow.py` on free ports in a tmp `.local` dir,
talk to its REST API, stop it with Ctrl-C (SIGINT) the way a person does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support import waiting

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / ".local" / "test-artifacts"
START_TIMEOUT = 900  # a loaded 2-core machine starts 5 Python servers and migrates a DB: be generous


class StackFailed(AssertionError):
    pass


def wait_for(
    what: str, check: Callable[[], Any], timeout: float, interval: float = 3.0, alive: Callable[[], None] | None = None
) -> Any:
    """Poll `check` until it returns something truthy (first making sure the stack is `alive`); fail naming `what`
    (and the last value) on timeout."""

    def checked() -> Any:
        if alive:
            alive()
        return check()

    try:
        return waiting.wait_for(checked, timeout=timeout, what=what, interval=interval)
    except StackFailed:
        raise
    except AssertionError as timed_out:
        raise StackFailed(str(timed_out)) from None


@dataclass
class Stack:
    process: subprocess.Popen
    local_dir: Path
    url: str
    password: str
    workspace_url: str
    workspace_token: str
    output: Path
    _token: str = ""

    # -- process ---------------------------------------------------------------------------------------------
    def alive(self) -> None:
        if self.process.poll() is not None:
            raise StackFailed(f"make airflow exited ({self.process.returncode}):\n{self.output.read_text()[-3000:]}")

    def interrupt(self, timeout: float = 180) -> int:
        """Ctrl-C: SIGINT to the script only (its components run in their own process groups)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return self.process.returncode

    def own_processes(self) -> list[int]:
        """PIDs whose environment says they belong to this stack (AIRFLOW_HOME or the workspace data dir)."""
        marks = (f"AIRFLOW_HOME={self.local_dir / 'airflow'}".encode(), str(self.local_dir / "workspace").encode())
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                blob = (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if any(mark in blob for mark in marks):
                found.append(int(entry.name))
        return found

    # -- Airflow REST API ------------------------------------------------------------------------------------
    def api(self, path: str, data: Any = None, method: str | None = None) -> Any:
        if not self._token:
            self._token = self._call("/auth/token", {"username": "admin", "password": self.password})["access_token"]
        return self._call(path, data, method, self._token)

    def _call(self, path: str, data: Any = None, method: str | None = None, token: str = "") -> Any:
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=60) as resp:
            return json.loads(resp.read() or b"null")

    def runs(self, dag_id: str) -> list[dict]:
        return self.api(f"/api/v2/dags/{dag_id}/dagRuns?order_by=run_after&limit=100")["dag_runs"]

    def runs_from_db(self, dag_id: str) -> list[str]:
        """Run ids straight from the SQLite metadata DB (works while the stack is stopped)."""
        import sqlite3

        with sqlite3.connect(self.local_dir / "airflow" / "airflow.db") as db:
            return [row[0] for row in db.execute("SELECT run_id FROM dag_run WHERE dag_id = ?", (dag_id,))]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        quoted = urllib.parse.quote(run_id, safe="")
        return self.api(f"/api/v2/dags/{dag_id}/dagRuns/{quoted}/taskInstances?limit=100")["task_instances"]

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        quoted = urllib.parse.quote(run_id, safe="")
        path = f"/api/v2/dags/{dag_id}/dagRuns/{quoted}/taskInstances/{task_id}/xcomEntries/{key}"
        return self.api(f"{path}?map_index={map_index}&deserialize=true")["value"]

    def links(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, str]:
        quoted = urllib.parse.quote(run_id, safe="")
        path = f"/api/v2/dags/{dag_id}/dagRuns/{quoted}/taskInstances/{task_id}/links?map_index={map_index}"
        return self.api(path)["extra_links"]

    def task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict | None:
        return next(
            (t for t in self.task_instances(dag_id, run_id) if t["task_id"] == task_id and t["map_index"] == map_index),
            None,
        )

    def task_state(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str | None:
        ti = self.task_instance(dag_id, run_id, task_id, map_index)
        return ti["state"] if ti else None

    def hitl_detail(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict:
        """The human-in-the-loop request of a task instance's current try (`response_received`, `chosen_options`)."""
        quoted = urllib.parse.quote(run_id, safe="")
        return self.api(f"/api/v2/dags/{dag_id}/dagRuns/{quoted}/taskInstances/{task_id}/{map_index}/hitlDetails")

    def run_state(self, dag_id: str, run_id: str) -> dict | None:
        return next((r for r in self.runs(dag_id) if r["dag_run_id"] == run_id), None)

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 1800) -> dict:
        def finished():
            run = self.run_state(dag_id, run_id)
            return run if run and run["state"] in ("success", "failed") else None

        try:
            return wait_for(f"{dag_id} run {run_id} to finish", finished, timeout, alive=self.alive)
        except StackFailed as timed_out:
            states = {
                f"{t['task_id']}[{t['map_index']}]": (t["state"], t["try_number"])
                for t in self.task_instances(dag_id, run_id)
            }
            raise StackFailed(f"{timed_out}\ntask states (state, try): {states}") from None

    def task_log_lines(self, dag_id: str) -> list[dict]:
        """Every structured line of this DAG's task logs (JSON lines under AIRFLOW_HOME/logs)."""
        lines = []
        for path in (self.local_dir / "airflow" / "logs" / f"dag_id={dag_id}").rglob("*.log"):
            for line in path.read_text(errors="replace").splitlines():
                try:
                    lines.append({**json.loads(line), "_file": str(path)})
                except ValueError:
                    continue
        return lines

    # -- local workspace -------------------------------------------------------------------------------------
    def workspace_api(self, method: str, path: str, data: Any = None) -> Any:
        url = f"{self.workspace_url}/api/2.0/mlflow/{path}"
        if method == "GET" and data:
            url += "?" + urllib.parse.urlencode(data)
            data = None
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(
            url,
            data=body,
            method=method,
            headers={"Authorization": f"Bearer {self.workspace_token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as resp:
            return json.loads(resp.read() or b"null")


def start_stack(local_dir: Path, extra_args: tuple[str, ...] = ()) -> Stack:
    """`make airflow` (`extra_args` e.g. `("--push",)` for `make airflow-push`) on free ports in `local_dir`."""
    from local_workspace.launcher import free_port

    airflow_port, workspace_port = free_port(), free_port()
    output = local_dir / "make-airflow.out"
    local_dir.mkdir(parents=True, exist_ok=True)
    with open(output, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                str(REPO_ROOT / "scripts" / "local_airflow.py"),
                "--local-dir",
                str(local_dir),
                "--airflow-port",
                str(airflow_port),
                "--workspace-port",
                str(workspace_port),
                *extra_args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=REPO_ROOT,
        )
    stack = Stack(
        process, local_dir, f"http://127.0.0.1:{airflow_port}", "", f"http://127.0.0.1:{workspace_port}", "", output
    )
    try:
        banner = wait_for(
            "make airflow to print the UI URL and password",
            lambda: "Airflow UI:" in output.read_text() and output.read_text(),
            START_TIMEOUT,
            alive=stack.alive,
        )
    except BaseException:
        stack.interrupt()
        raise
    line = next(line for line in banner.splitlines() if line.startswith("Airflow UI:"))
    assert stack.url in line and "user: admin" in line, line
    stack.password = line.split("password:")[1].strip()
    stack.workspace_token = (local_dir / "workspace" / "token").read_text().strip()
    return stack


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
