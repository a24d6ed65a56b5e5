"""docker-compose.yaml (Airflow + local workspace) and the Astro project (Dockerfile, docker-compose.override.yml,
airflow_settings.yaml, .dockerignore): valid against the Compose Specification schema, and wired the way the DAGs
need. No Docker engine runs here, so nothing is started: these read the files as Compose and Astro do."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from compose_support import (
    REPO_ROOT,
    MissingVariable,
    depends_on,
    dockerfile_instructions,
    environment,
    healthcheck_command,
    image_command,
    interpolate,
    load,
    published_port,
    schema_errors,
    services,
    volume_mounts,
)

COMPOSE = "docker-compose.yaml"
ASTRO_OVERRIDE = "docker-compose.override.yml"
WORKSPACE = "local-workspace"
WORKSPACE_DOCKERFILE = "docker/local-workspace.Dockerfile"
TOKEN = "test-token"
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")
# Where tasks and triggers call Databricks: LocalExecutor runs tasks in the scheduler, triggers in the triggerer.
CALLS_WORKSPACE = {COMPOSE: ("airflow-scheduler", "airflow-triggerer"), ASTRO_OVERRIDE: ("scheduler", "triggerer")}
ASTRO_AIRFLOW_SERVICES = ("scheduler", "triggerer", "dag-processor", "api-server")


def compose(name: str, **env: str) -> dict:
    return interpolate(load(name), {"LOCAL_WORKSPACE_TOKEN": TOKEN, **env})


def workspace_serve_args() -> dict[str, str]:
    """`--flag value` pairs of the `local_workspace serve` part of the workspace image's command."""
    command = image_command(WORKSPACE_DOCKERFILE)[-1]
    serve = command.split("local_workspace serve", 1)[1].split("&&")[0].split()
    return dict(zip(serve[::2], serve[1::2], strict=True))


def job_config() -> dict:
    return yaml.safe_load((REPO_ROOT / "include/config/databricks_jobs.yaml").read_text())


@pytest.mark.parametrize("name", [COMPOSE, ASTRO_OVERRIDE])
def test_compose_files_follow_the_compose_specification(name):
    assert schema_errors(load(name)) == []


def test_the_schema_check_rejects_what_compose_would_reject():
    document = load(COMPOSE)
    misspelt = copy.deepcopy(document)
    misspelt["services"][WORKSPACE]["healthchek"] = misspelt["services"][WORKSPACE].pop("healthcheck")
    assert any("healthchek" in error for error in schema_errors(misspelt))
    bad_condition = copy.deepcopy(document)
    bad_condition["services"]["airflow-scheduler"]["depends_on"][WORKSPACE]["condition"] = "service_ready"
    assert schema_errors(bad_condition)


def test_compose_refuses_to_start_without_a_workspace_token():
    with pytest.raises(MissingVariable, match="LOCAL_WORKSPACE_TOKEN"):
        interpolate(load(COMPOSE), {})


def test_every_long_running_service_has_a_health_check():
    svc = services(compose(COMPOSE))
    long_running = {name for name, service in svc.items() if name != "airflow-init" and not service.get("profiles")}
    assert long_running == {"postgres", WORKSPACE, *AIRFLOW_SERVICES}
    for name in long_running:
        assert healthcheck_command(svc[name]), f"{name} has no health check"
        assert svc[name]["restart"] == "always"
    assert "airflow jobs check --job-type DagProcessorJob" in healthcheck_command(svc["airflow-dag-processor"])
    assert "airflow jobs check --job-type TriggererJob" in healthcheck_command(svc["airflow-triggerer"])
    scheduler_env = environment(svc["airflow-scheduler"])
    assert scheduler_env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"
    assert "http://localhost:8974/health" in healthcheck_command(svc["airflow-scheduler"])


def test_the_api_server_health_check_is_a_route_of_this_airflow():
    # Read from the installed sources: importing Airflow's API app takes tens of seconds.
    routes = Path(importlib.util.find_spec("airflow").origin).parent / "api_fastapi/core_api/routes/public"
    public_prefix = re.search(r'public_router = AirflowRouter\(prefix="([^"]+)"', (routes / "__init__.py").read_text())
    monitor = (routes / "monitor.py").read_text()
    monitor_prefix = re.search(r'monitor_router = AirflowRouter\(.*prefix="([^"]+)"', monitor)
    health = re.search(r'@monitor_router\.get\("([^"]+)"', monitor)
    served = public_prefix.group(1) + monitor_prefix.group(1) + health.group(1)
    check = healthcheck_command(services(compose(COMPOSE))["airflow-apiserver"])
    assert f"http://localhost:8080{served}" in check.split()


def test_airflow_starts_after_the_database_is_migrated_and_the_workspace_is_healthy():
    svc = services(compose(COMPOSE))
    assert svc["airflow-init"]["command"] == ["airflow", "db", "migrate"]
    assert depends_on(svc["airflow-init"]) == {"postgres": "service_healthy"}
    for name in AIRFLOW_SERVICES:
        deps = depends_on(svc[name])
        assert deps["postgres"] == "service_healthy" and deps["airflow-init"] == "service_completed_successfully"
    for name in CALLS_WORKSPACE[COMPOSE]:
        assert depends_on(svc[name])[WORKSPACE] == "service_healthy"
        assert depends_on(svc[name])["airflow-apiserver"] == "service_healthy"  # the execution API


@pytest.mark.parametrize("name", [COMPOSE, ASTRO_OVERRIDE])
def test_the_workspace_health_check_asks_its_open_health_endpoint(name):
    from local_workspace.auth import OPEN_PATHS

    check = healthcheck_command(services(compose(name))[WORKSPACE])
    url = urlsplit(re.search(r"http://[^'\"\s]+", check).group(0))
    assert url.path == "/health" and url.path in OPEN_PATHS  # answers without the token
    assert url.port == int(workspace_serve_args()["--port"])


@pytest.mark.parametrize("name", [COMPOSE, ASTRO_OVERRIDE])
def test_databricks_default_reaches_the_workspace_by_its_in_network_name(name):
    svc = services(compose(name))
    airflow_services = AIRFLOW_SERVICES if name == COMPOSE else ASTRO_AIRFLOW_SERVICES
    for service in airflow_services:
        # Airflow's JSON connection format, as local_workspace.launcher.RunningWorkspace.airflow_connection_json().
        conn = json.loads(environment(svc[service])["AIRFLOW_CONN_DATABRICKS_DEFAULT"])
        ui_url = conn.pop("extra")["workspace_ui_url"]  # the Model Version link opens on the published port
        assert ui_url == environment(svc[WORKSPACE])["LOCAL_WORKSPACE_PUBLIC_URL"], service
        assert conn == {
            "conn_type": "databricks",
            "host": WORKSPACE,
            "port": int(workspace_serve_args()["--port"]),
            "schema": "http",
            "password": TOKEN,
        }, service
        profile = environment(svc[service])["CHURN_CLUSTER_PROFILE"]
        assert profile == "local" and profile in job_config()["profiles"]
    assert environment(svc[WORKSPACE])["LOCAL_WORKSPACE_TOKEN"] == TOKEN
    for service in CALLS_WORKSPACE[name]:
        assert depends_on(svc[service])[WORKSPACE] == "service_healthy"


@pytest.mark.parametrize("name", [COMPOSE, ASTRO_OVERRIDE])
@pytest.mark.parametrize("port", [None, "18799"])
def test_links_for_a_browser_use_localhost_and_the_published_port(name, port):
    svc = services(compose(name, **({"LOCAL_WORKSPACE_PORT": port} if port else {})))
    host_ip, host_port = published_port(svc[WORKSPACE], int(workspace_serve_args()["--port"]))
    assert host_ip == "127.0.0.1" and host_port == int(port or 8799)  # the UI accepts the token: loopback only
    public = urlsplit(environment(svc[WORKSPACE])["LOCAL_WORKSPACE_PUBLIC_URL"])
    assert (public.scheme, public.hostname, public.port) == ("http", "localhost", host_port)


def test_airflow_links_use_the_published_api_server_port():
    svc = services(compose(COMPOSE, AIRFLOW_PORT="18080"))
    _, host_port = published_port(svc["airflow-apiserver"], 8080)
    assert environment(svc["airflow-scheduler"])["AIRFLOW__API__BASE_URL"] == f"http://localhost:{host_port}"
    assert (
        environment(svc["airflow-scheduler"])["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
        == "http://airflow-apiserver:8080/execution/"
    )


def test_workspace_image_has_openmp_and_seeds_the_churn_table_before_serving():
    runs = " ".join(args for instruction, args in dockerfile_instructions(WORKSPACE_DOCKERFILE) if instruction == "RUN")
    assert re.search(r"apt-get install .*\blibgomp1\b", runs)  # LightGBM needs the OpenMP runtime
    assert "-r /opt/requirements/requirements-workspace.txt -c /opt/requirements/requirements.lock" in runs
    command = image_command(WORKSPACE_DOCKERFILE)
    seed, serve = command[-1].split("&&")
    assert "python -m churn.seed --data-dir /data" in seed and "exec python -m local_workspace serve" in serve
    assert workspace_serve_args()["--data-dir"] == "/data" and workspace_serve_args()["--host"] == "0.0.0.0"
    for name in (COMPOSE, ASTRO_OVERRIDE):
        assert services(compose(name))[WORKSPACE]["init"] is True  # reaps orphaned notebook processes


@pytest.mark.parametrize("name", [COMPOSE, ASTRO_OVERRIDE])
def test_workspace_serves_this_repository_notebooks_and_keeps_its_state(name):
    from local_workspace.jobs.notebooks import resolve_workspace_notebook

    document = compose(name)
    mounts = volume_mounts(services(document)[WORKSPACE])
    workspace_dir = Path(workspace_serve_args()["--workspace-dir"])
    assert mounts[str(workspace_dir / "include")] == "./include"  # edits apply without a rebuild
    assert mounts["/data"] in document["volumes"]  # a named volume: runs, registry and table survive restarts
    root = job_config()["notebook_sources"]["workspace"]["root"]
    for notebook in ("retrain_churn_model", "test_candidate_model"):
        # The same resolution the container does, with this checkout standing in for /workspace.
        assert resolve_workspace_notebook(REPO_ROOT, f"{root}/{notebook}").is_file()


def test_airflow_containers_mount_the_dags_plugin_and_helpers_on_the_path():
    svc = services(compose(COMPOSE))
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        mounts = volume_mounts(svc[name])
        assert mounts["/opt/airflow/dags"] == "./dags" and mounts["/opt/airflow/plugins"] == "./plugins"
        assert mounts["/opt/airflow/include"] == "./include"
        assert mounts["/opt/airflow/logs"] in compose(COMPOSE)["volumes"]  # task logs: scheduler writes, API reads
        path = environment(svc[name])["PYTHONPATH"].split(":")
        assert "/opt/airflow/include" in path and "/opt/airflow/plugins" in path
        assert svc[name]["build"] == {"context": ".", "dockerfile": "docker/airflow.Dockerfile"}


def test_airflow_finds_the_plugin_in_its_plugins_folder(tmp_path):
    # The images do not pip-install this project (no `airflow.plugins` entry point there): Airflow imports every
    # file of its plugins folder, as in the containers (PYTHONPATH as set there). A fresh interpreter, because
    # that import registers each file under its bare name (`plugin`, `hooks`, ...).
    script = (
        "import json; from airflow._shared.plugins_manager.plugins_manager import "
        f"_load_plugins_from_plugin_directory as load; plugins, errors = load({str(REPO_ROOT / 'plugins')!r}); "
        "print(json.dumps([[p.name for p in plugins], errors]))"
    )
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join(str(REPO_ROOT / d) for d in ("include", "plugins")),
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    names, errors = json.loads(done.stdout.strip().splitlines()[-1])
    assert names == ["databricks_registry"] and errors == {}


def test_astro_override_adds_the_workspace_to_the_astro_network():
    document = compose(ASTRO_OVERRIDE)
    workspace = services(document)[WORKSPACE]
    assert workspace["networks"] == ["airflow"]  # the Astro CLI's project puts Airflow on this network
    assert workspace["build"] == {"context": ".", "dockerfile": WORKSPACE_DOCKERFILE}
    assert set(services(document)) == {WORKSPACE, *ASTRO_AIRFLOW_SERVICES}
    assert environment(workspace)["LOCAL_WORKSPACE_TOKEN"] == TOKEN
    # Without LOCAL_WORKSPACE_TOKEN both sides fall back to the same local-only token: `astro dev start` just works.
    defaults = interpolate(load(ASTRO_OVERRIDE), {})
    conn = json.loads(environment(services(defaults)["scheduler"])["AIRFLOW_CONN_DATABRICKS_DEFAULT"])
    assert conn["password"] == environment(services(defaults)[WORKSPACE])["LOCAL_WORKSPACE_TOKEN"] != ""


def test_astro_image_runs_the_pinned_airflow_minor():
    instructions = dockerfile_instructions("Dockerfile")
    images = [args for instruction, args in instructions if instruction == "FROM"]
    assert len(images) == 1 and "$" not in images[0]  # the Astro CLI reads the literal tag from this line
    match = re.fullmatch(r"astrocrpublic\.azurecr\.io/runtime:(\d+)\.(\d+)-\d+", images[0])
    pinned = re.search(r'"apache-airflow==(\d+)\.(\d+)\.\d+"', (REPO_ROOT / "pyproject.toml").read_text())
    assert match and pinned and match.groups() == pinned.groups()
    env = " ".join(args for instruction, args in instructions if instruction == "ENV")
    assert "PYTHONPATH=/usr/local/airflow/include:/usr/local/airflow/plugins" in env


def test_astro_local_settings_hold_no_placeholder_connection():
    settings = yaml.safe_load((REPO_ROOT / "airflow_settings.yaml").read_text())["airflow"]
    assert not [c for c in settings["connections"] if c["conn_id"] == "databricks_default"]


def test_dockerignore_keeps_local_settings_secrets_and_state_out_of_images():
    ignored = {
        line.strip().rstrip("/")
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"airflow_settings.yaml", ".env", ".git", ".local", ".venv", "tests", "logs"} <= ignored
    # ...but not what the images are built from.
    assert not ignored & {"include", "plugins", "dags", "requirements.txt", "requirements.lock", "docker"}


def _ignored(path: Path) -> set[str]:
    return {
        line.strip().rstrip("/") for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")
    }


def test_only_the_workspace_image_carries_the_local_workspace():
    # BuildKit picks <Dockerfile>.dockerignore over the root one: the Airflow images (Astro, compose) leave the
    # emulator out, the workspace image keeps it and otherwise ignores the same things.
    root = _ignored(REPO_ROOT / ".dockerignore")
    workspace = _ignored(REPO_ROOT / f"{WORKSPACE_DOCKERFILE}.dockerignore")
    assert "local_workspace" in root and "local_workspace" not in workspace
    assert root - {"local_workspace"} == workspace
    copied = [args for instruction, args in dockerfile_instructions(WORKSPACE_DOCKERFILE) if instruction == "COPY"]
    assert "local_workspace /workspace/local_workspace" in copied
