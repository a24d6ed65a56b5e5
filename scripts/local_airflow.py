"""`make airflow`: the local workspace plus a full Airflow 3 (API server + UI, scheduler, DAG processor, triggerer).

State lives under `--local-dir` (default `.local`, shared with `make demo`): `workspace/` (registry, runs,
warehouse) and `airflow/` (SQLite metadata DB, task logs, generated passwords and secrets); a second start reuses
it. The DAGs' time schedules are off here, so the only runs are the ones you trigger and the promotion runs their
Asset events cause. Ctrl-C stops every process this started.

With `--push` (`make airflow-push`) the churn model's registry webhook points at Airflow's receiver, so a
transition request made in the workspace starts the promotion within seconds (README "Push flow").

    python scripts/local_airflow.py [--local-dir DIR] [--airflow-port N] [--workspace-port N] [--push]
    env: LOCAL_AIRFLOW_PORT (8080), LOCAL_WORKSPACE_PORT (8799), LOCAL_AIRFLOW_HOST (127.0.0.1)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
DAG_IDS = ("churn_model_retraining", "churn_model_promotion")
USER = "admin"


class StackError(RuntimeError):
    """A component exited or did not become ready; the message names it and its log."""


def _secrets(path: Path) -> dict[str, str]:
    """Generated once and kept (0600), so restarts keep UI sessions and JWTs valid."""
    values = json.loads(path.read_text()) if path.exists() else {}
    missing = [key for key in ("jwt_secret", "api_secret_key", "webhook_secret") if key not in values]
    if missing:  # a state dir from before a key existed gets just that key
        values.update({key: secrets.token_urlsafe(64) for key in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(values))
    return values


def free_port() -> int:
    from local_workspace.launcher import free_port as pick

    return pick()


def airflow_env(home: Path, api_url: str, workspace, keys: dict[str, str]) -> dict[str, str]:
    """Environment for every Airflow component (and so for the tasks they run)."""
    from churn_pipeline.quiet import pythonwarnings

    env = dict(os.environ)
    env.update(workspace.client_env())
    env["PYTHONWARNINGS"] = pythonwarnings(env.get("PYTHONWARNINGS", ""))
    env.update(
        {
            # `airflow` starts its helpers as `airflow ...` found on PATH: the venv's first.
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__API__BASE_URL": api_url,
            "AIRFLOW__API__HOST": urllib.parse.urlparse(api_url).hostname,
            "AIRFLOW__API__PORT": str(urllib.parse.urlparse(api_url).port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": keys["api_secret_key"],
            "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
            "AIRFLOW_CONN_DATABRICKS_DEFAULT": workspace.airflow_connection_json(),
            # The registry webhook receiver (plugin): its secret, the model it serves, its URL for registration.
            "AIRFLOW_CONN_DATABRICKS_REGISTRY_WEBHOOK": webhook_receiver_connection(api_url, keys["webhook_secret"]),
            # The components' log servers (fixed 8793/8794 by default) on free ports: several stacks can coexist.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            # Only requested runs: no monthly retraining, no hourly promotion (the Asset still triggers it).
            "CHURN_RETRAIN_SCHEDULE": "none",
            "CHURN_PROMOTION_CRON": "none",
        }
    )
    return env


def webhook_receiver_connection(api_url: str, secret: str) -> str:
    from churn_contract.options import DEFAULT_MODEL_NAME
    from databricks_registry.webhook_receiver.settings import ROUTE, URL_PREFIX

    receiver_url = f"{api_url}{URL_PREFIX}{ROUTE}"
    return json.dumps(
        {"conn_type": "http", "host": receiver_url, "password": secret, "extra": {"models": [DEFAULT_MODEL_NAME]}}
    )


def _start(name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> subprocess.Popen:
    with open(log_dir / f"{name}.log", "ab") as log:
        # Own process group: Ctrl-C reaches only this script, which stops each group (workers included) in order.
        return subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )


def stop_all(processes: list[subprocess.Popen], timeout: float = 30.0) -> None:
    """SIGTERM every process group at once, wait up to `timeout` for them all, then SIGKILL what is left."""

    def signal_group(process: subprocess.Popen, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
            os.killpg(process.pid, sig)

    for process in processes:
        signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):  # SIGKILL below
            process.wait(max(0.1, deadline - time.monotonic()))
    for process in processes:  # stragglers, and children the group leader left behind
        signal_group(process, signal.SIGKILL)
        process.wait()


def _request(url: str, token: str | None = None, data: dict | None = None, method: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


class AirflowStack:
    """The four Airflow components and the workspace; `start()` returns once the UI serves our DAGs."""

    def __init__(self, local_dir: Path, airflow_port: int, workspace_port: int, host: str = "127.0.0.1"):
        self.local_dir = local_dir.resolve()
        self.home = self.local_dir / "airflow"
        self.log_dir = self.home / "logs" / "local-airflow"
        self.host, self.airflow_port, self.workspace_port = host, airflow_port, workspace_port
        self.url = f"http://{host}:{airflow_port}"
        self.processes: dict[str, subprocess.Popen] = {}  # the long-running components
        self.one_shots: list[subprocess.Popen] = []  # seeding, migration: stopped too if Ctrl-C comes early
        self.workspace = None
        self.password = ""
        self.env: dict[str, str] = {}

    def start(self, timeout: float = 600.0) -> AirflowStack:
        from local_workspace.launcher import TOKEN_FILE_NAME, start_workspace

        self.log_dir.mkdir(parents=True, exist_ok=True)
        keys = _secrets(self.home / "local_airflow_secrets.json")
        data_dir = self.local_dir / "workspace"
        data_dir.mkdir(parents=True, exist_ok=True)
        seed = _start(
            "seed", [sys.executable, "-m", "churn.seed", "--data-dir", str(data_dir)], dict(os.environ), self.log_dir
        )
        self.one_shots.append(seed)
        # The token `make workspace` uses too (created on the first start, mode 600), so logins survive restarts.
        token_file = data_dir / TOKEN_FILE_NAME
        token = token_file.read_text().strip() if token_file.exists() else None
        self.workspace = start_workspace(
            data_dir=data_dir, port=self.workspace_port, host=self.host, token=token, workspace_dir=REPO_ROOT
        )
        env = self.env = airflow_env(self.home, self.url, self.workspace, keys)
        migrate = _start("db-migrate", ["airflow", "db", "migrate"], env, self.log_dir)
        self.one_shots.append(migrate)
        if migrate.wait() != 0:
            raise StackError(f"`airflow db migrate` failed: see {self.log_dir / 'db-migrate.log'}")
        for name in COMPONENTS:
            self.processes[name] = _start(name, ["airflow", name], env, self.log_dir)
        if seed.wait() != 0:
            raise StackError(f"seeding the churn table failed: see {self.log_dir / 'seed.log'}")
        self._wait_ready(time.monotonic() + timeout)
        return self

    def register_webhook(self) -> str:
        """Push on: the churn model's registry webhook → this Airflow's receiver (`make airflow-push`)."""
        argv = [sys.executable, "-m", "databricks_registry.webhook_receiver.register", "--create-missing-models"]
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise StackError(f"registering the registry webhook failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise StackError(
                    f"airflow {name} exited with code {process.returncode}: see {self.log_dir / (name + '.log')}"
                )

    def token(self) -> str:
        return _request(f"{self.url}/auth/token", data={"username": USER, "password": self.password})["access_token"]

    def _wait_ready(self, deadline: float) -> None:
        """Health of every component, then both DAGs parsed; unpause them (the Asset cannot start a paused DAG)."""
        waiting_for = "the API server"
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                health = _request(f"{self.url}/api/v2/monitor/health")
                unhealthy = [
                    k
                    for k in ("metadatabase", "scheduler", "triggerer", "dag_processor")
                    if (health.get(k) or {}).get("status") != "healthy"
                ]
                waiting_for = f"healthy {', '.join(unhealthy)}" if unhealthy else "the DAGs to be parsed"
                if not unhealthy:
                    self.password = json.loads(
                        (self.home / "simple_auth_manager_passwords.json.generated").read_text()
                    )[USER]
                    token = self.token()
                    errors = _request(f"{self.url}/api/v2/importErrors", token)["import_errors"]
                    if errors:
                        raise StackError("DAG import errors:\n" + "\n".join(e["stack_trace"] for e in errors))
                    known = {d["dag_id"] for d in _request(f"{self.url}/api/v2/dags?limit=100", token)["dags"]}
                    if set(DAG_IDS) <= known:
                        for dag_id in DAG_IDS:
                            _request(f"{self.url}/api/v2/dags/{dag_id}", token, {"is_paused": False}, "PATCH")
                        return
            except (OSError, urllib.error.URLError, KeyError, ValueError):
                pass
            time.sleep(2)
        raise StackError(f"Airflow was not ready in time (waiting for {waiting_for}); logs in {self.log_dir}")

    def stop(self) -> None:
        # Finished one-shots were reaped long ago: their process-group ids are not ours any more.
        stop_all([p for p in self.one_shots if p.poll() is None] + list(self.processes.values()))
        if self.workspace is not None:
            self.workspace.stop()

    def banner(self) -> str:
        return "\n".join(
            [
                "",
                f"Airflow UI:      {self.url}   user: {USER}   password: {self.password}",
                f"Local workspace: {self.workspace.url}   (sign in at {self.workspace.url}/login with the token in "
                f"{self.workspace.data_dir / 'token'})",
                f"Logs:            {self.log_dir} (components), {self.home / 'logs'} (tasks)",
                "Trigger churn_model_retraining from the UI; its transition request starts churn_model_promotion.",
                "Ctrl-C stops everything; `make airflow` again reuses the state (`make clean` wipes it).",
            ]
        )


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--local-dir", type=Path, default=REPO_ROOT / ".local")
    parser.add_argument("--airflow-port", type=int, default=int(os.environ.get("LOCAL_AIRFLOW_PORT", "8080")))
    parser.add_argument("--workspace-port", type=int, default=int(os.environ.get("LOCAL_WORKSPACE_PORT", "8799")))
    parser.add_argument("--host", default=os.environ.get("LOCAL_AIRFLOW_HOST", "127.0.0.1"))
    parser.add_argument(
        "--push", action="store_true", help="register the registry webhook: transition requests start runs at once"
    )
    args = parser.parse_args(argv)
    # Ctrl-C and SIGTERM (e.g. from a supervisor) both stop the stack; explicit, because a shell starting this
    # in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    stack = AirflowStack(args.local_dir, args.airflow_port, args.workspace_port, args.host)
    print(f"==> starting the local workspace and Airflow (state in {stack.local_dir}); this takes a minute", flush=True)
    try:
        stack.start()
        if args.push:
            print(f"Push on (registry webhook → Airflow): {stack.register_webhook()}", flush=True)
        print(stack.banner(), flush=True)
        while True:
            stack.check_alive()
            time.sleep(2)
    except KeyboardInterrupt:
        print("\n==> stopping Airflow and the local workspace", flush=True)
        return 0
    except Exception as exc:  # noqa: BLE001 - one clear line for the user; the component logs have details
        print(f"\nLOCAL AIRFLOW FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
