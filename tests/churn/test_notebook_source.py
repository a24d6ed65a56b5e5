"""The notebooks as a Databricks user opens them: widgets first, a `%pip` cell with pinned requirements, imports
found from the notebook's own path (not the working directory), results shown with `display()`."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from local_workspace.runner.parser import parse_notebook

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO_ROOT / "include" / "notebooks"
CHURN_NOTEBOOKS = ("retrain_churn_model", "test_candidate_model")


def cells(notebook: str):
    return [c for c in parse_notebook((NOTEBOOKS / f"{notebook}.py").read_text()) if c.kind != "markdown"]


@pytest.mark.parametrize("notebook", CHURN_NOTEBOOKS)
def test_cells_in_the_order_a_user_runs_them(notebook):
    kinds = [(c.kind, c.source.splitlines()[0]) for c in cells(notebook)]
    assert kinds[0][1].startswith("# The widgets")  # first: visible before anything else runs
    assert kinds[1] == ("pip", "%pip install --quiet -r requirements.txt")  # before any import
    # %pip does not restart Python since DBR 13: without a restart the upgraded libraries would not be imported.
    assert cells(notebook)[2].kind == "python"
    assert cells(notebook)[2].source.strip().splitlines()[-1] == "dbutils.library.restartPython()"
    assert kinds[3] == ("run", "%run ./notebook_setup")  # then `churn` becomes importable
    later = "\n".join(c.source for c in cells(notebook)[4:])
    assert "display(" in later and "dbutils.notebook.exit(" in later
    assert "getcwd" not in (NOTEBOOKS / f"{notebook}.py").read_text()


def test_notebook_requirements_are_pinned_to_the_lock():
    lock = {}
    for line in (REPO_ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            requirement = Requirement(line)
            lock[requirement.name.lower()] = str(requirement.specifier)
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    declared = {
        Requirement(dep).name.lower() for dep in project["dependencies"] + project["optional-dependencies"]["churn"]
    }
    lines = [line for line in (NOTEBOOKS / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    pinned = {Requirement(line).name.lower(): str(Requirement(line).specifier) for line in lines}
    assert {"mlflow", "flaml", "lightgbm", "pydantic"} <= set(pinned) <= declared
    assert {name: lock.get(name) for name in pinned} == pinned


def _setup(namespace: dict) -> str:
    """Run notebook_setup's code cell in `namespace` (as %run would) and return the folder it put on sys.path."""
    (code,) = [c.source for c in cells("notebook_setup")]
    exec(compile(code, "notebook_setup", "exec"), namespace)
    return namespace["INCLUDE_DIR"]


class _DatabricksContext:
    """`dbutils.notebook.entry_point.getDbutils().notebook().getContext().notebookPath().get()` on Databricks."""

    def __init__(self, path: str):
        self.path = path

    def __getattr__(self, name):
        return lambda: self

    def get(self):
        return self.path


class _DBUtils:
    def __init__(self, path: str):
        self.notebook = type("N", (), {"entry_point": _DatabricksContext(path)})()


def test_setup_finds_include_from_the_notebook_path_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # e.g. /databricks/driver on DBR 13 and below
    monkeypatch.setattr(sys, "path", list(sys.path))
    include = str(REPO_ROOT / "include")
    # The local workspace: __file__ is the notebook's file.
    assert _setup({"__file__": str(NOTEBOOKS / "notebook_setup.py")}) == include
    # Databricks: no __file__; the context knows the workspace path, whose files live under /Workspace.
    monkeypatch.setattr("os.path.isdir", lambda p: str(p).startswith("/Workspace/Users/ana/repo/include"))
    found = _setup({"dbutils": _DBUtils("/Users/ana/repo/include/notebooks/test_candidate_model")})
    assert found == "/Workspace/Users/ana/repo/include"
    assert _setup({"dbutils": _DBUtils("/Workspace/Users/ana/repo/include/notebooks/x")}) == found
    # No context (plain Python) and a notebook path that is not on disk: the working directory's parent.
    assert _setup({"dbutils": object()}) == str(tmp_path.parent)
    assert found in sys.path
