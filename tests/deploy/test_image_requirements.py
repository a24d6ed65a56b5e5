"""What the images install: the Airflow images (docker-compose and Astro) exactly what the DAGs, the plugin and
their helpers import; the workspace image what the server and the notebooks import. Versions are the lock's."""

from __future__ import annotations

import re
import tomllib

import pytest
from compose_support import REPO_ROOT, dockerfile_instructions
from import_scan import (
    candidate_distributions,
    dependency_closure,
    external_modules,
    imported_distributions,
    locked_versions,
    normalize,
    read_requirements,
)

# include/churn_contract is on both sides: the DAGs read the notebooks' results with it, the notebooks write them.
AIRFLOW_SIDE = ["dags", "plugins", "include/churn_pipeline", "include/churn_contract"]
WORKSPACE_SIDE = ["local_workspace", "include/churn", "include/churn_contract", "include/notebooks"]


def pinned_versions(name: str) -> dict[str, str]:
    out = {}
    for dist, requirement in read_requirements(name).items():
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{name}: {requirement} is not pinned with =="
        out[dist] = specs[0].version
    return out


def test_airflow_image_installs_exactly_what_the_dags_and_the_plugin_import():
    imported = imported_distributions(AIRFLOW_SIDE)
    required = set(read_requirements("requirements-airflow.txt"))
    missing = {dist: sorted(files) for dist, files in imported.items() if dist not in required}
    assert not missing, f"imported but not installed in the Airflow image: {missing}"
    assert not required - set(imported), (
        f"installed but imported by no DAG, plugin or helper: {required - set(imported)}"
    )


def test_astro_requirements_are_the_same_without_airflow_itself():
    # Astro Runtime brings Airflow and refuses an apache-airflow line in requirements.txt.
    assert set(read_requirements("requirements.txt")) == set(imported_distributions(AIRFLOW_SIDE)) - {"apache-airflow"}


@pytest.mark.parametrize("name", ["requirements-airflow.txt", "requirements-workspace.txt"])
def test_image_requirements_pin_the_locked_versions(name):
    lock = locked_versions()
    differing = {
        dist: (version, lock.get(dist)) for dist, version in pinned_versions(name).items() if lock.get(dist) != version
    }
    assert not differing, f"{name}: (pinned, locked) differ: {differing}"


def test_airflow_image_keeps_the_base_image_airflow():
    instructions = dockerfile_instructions("docker/airflow.Dockerfile")
    base = [args for instruction, args in instructions if instruction == "FROM"]
    airflow = pinned_versions("requirements-airflow.txt")["apache-airflow"]
    assert base == [f"apache/airflow:{airflow}-python3.11"]
    runs = [args for instruction, args in instructions if instruction == "RUN"]
    assert runs == ["pip install --no-cache-dir -r /opt/requirements/requirements-airflow.txt"]


def test_workspace_image_installs_the_project_workspace_and_churn_extras():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["workspace"]
    wanted += project["optional-dependencies"]["churn"]
    runtime = {normalize(re.split(r"[<>=!~\[; ]", dep, maxsplit=1)[0]) for dep in wanted}
    assert set(read_requirements("requirements-workspace.txt")) == runtime
    assert not {d for d in runtime if d.startswith("apache-airflow")}


def test_workspace_image_has_everything_the_server_and_the_notebooks_import():
    installed = dependency_closure(list(read_requirements("requirements-workspace.txt")))
    assert not {d for d in installed if d.startswith("apache-airflow")}  # Airflow stays out of the workspace
    missing = {
        module: sorted(files)
        for module, files in external_modules(WORKSPACE_SIDE).items()
        if not candidate_distributions(module) & installed
    }
    assert not missing, f"imported by the workspace or the notebooks, not installed in its image: {missing}"
