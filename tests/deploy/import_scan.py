"""Which installed distributions a set of source folders imports (with `ast`, nothing is executed), and what a
requirements file pins."""

from __future__ import annotations

import ast
import functools
import importlib.metadata as metadata
import re
import sys

from compose_support import REPO_ROOT
from packaging.requirements import Requirement

PROVIDER_PREFIX = "apache-airflow-providers-"
# Importable only on a Databricks runtime; the code imports them behind availability checks.
DATABRICKS_RUNTIME_ONLY = frozenset({"pyspark", "databricks.automl"})


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def local_packages() -> frozenset[str]:
    """Top-level packages of this repository (mounted or copied into the images, never installed from PyPI)."""
    return frozenset(
        p.parent.name for folder in ("plugins", "include", ".") for p in (REPO_ROOT / folder).glob("*/__init__.py")
    )


def _guarded_by_import_error(handlers: list[ast.ExceptHandler]) -> bool:
    names = {n.id for h in handlers for n in ast.walk(h.type) if isinstance(n, ast.Name)} if handlers else set()
    return bool(names & {"ImportError", "ModuleNotFoundError"})


def imported_modules(folders: list[str]) -> dict[str, set[str]]:
    """{absolute module name: files importing it}, leaving out the standard library, imports inside
    `try: ... except ImportError` and Databricks-runtime-only modules."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            guarded = {
                id(n)
                for t in ast.walk(tree)
                if isinstance(t, ast.Try) and _guarded_by_import_error(t.handlers)
                for stmt in t.body
                for n in ast.walk(stmt)
            }
            for node in ast.walk(tree):
                if id(node) in guarded:
                    continue
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                    if any(f"{node.module}.{a.name}" in DATABRICKS_RUNTIME_ONLY for a in node.names):
                        continue
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top == "__future__" or top in DATABRICKS_RUNTIME_ONLY:
                        continue
                    found.setdefault(module, set()).add(str(path.relative_to(REPO_ROOT)))
    return found


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()


@functools.cache
def _provider_packages() -> dict[str, str]:
    """{'airflow.providers.common.compat': 'apache-airflow-providers-common-compat', ...} of installed providers."""
    out = {}
    for dist in metadata.distributions():
        name = normalize(dist.metadata["Name"])
        if name.startswith(PROVIDER_PREFIX):
            out["airflow.providers." + name[len(PROVIDER_PREFIX) :].replace("-", ".")] = name
    return out


def external_modules(folders: list[str]) -> dict[str, set[str]]:
    local = local_packages()
    return {m: files for m, files in imported_modules(folders).items() if m.split(".")[0] not in local}


def distribution_of(module: str) -> str:
    """The distribution a module comes from: a provider, `apache-airflow` for the rest of `airflow`, else the one
    distribution that installs its top-level package."""
    if module.startswith("airflow.providers."):
        providers = _provider_packages()
        matches = [pkg for pkg in providers if module == pkg or module.startswith(pkg + ".")]
        assert matches, f"{module}: no installed provider distribution provides it"
        return providers[max(matches, key=len)]
    top = module.split(".")[0]
    if top == "airflow":
        return "apache-airflow"
    dists = sorted({normalize(d) for d in _packages_distributions().get(top, [])})
    assert len(dists) == 1, f"{module}: expected one installed distribution for {top!r}, found {dists}"
    return dists[0]


def candidate_distributions(module: str) -> set[str]:
    """Every installed distribution that installs the module's top-level package (`mlflow` comes from three)."""
    return {normalize(d) for d in _packages_distributions().get(module.split(".")[0], [])}


def imported_distributions(folders: list[str]) -> dict[str, set[str]]:
    """{distribution: files importing it} for what `folders` import from outside this repository."""
    out: dict[str, set[str]] = {}
    for module, files in external_modules(folders).items():
        out.setdefault(distribution_of(module), set()).update(files)
    return out


def read_requirements(name: str) -> dict[str, Requirement]:
    """{normalized name: requirement} of a pip requirements file, following `-r other.txt`."""
    path = REPO_ROOT / name
    out: dict[str, Requirement] = {}
    for raw in path.read_text().splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-r "):
            out.update(read_requirements(str((path.parent / line[3:].strip()).relative_to(REPO_ROOT))))
            continue
        assert not line.startswith("-"), f"{name}: unexpected option {line!r}"
        requirement = Requirement(line)
        out[normalize(requirement.name)] = requirement
    return out


def locked_versions() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split("==")
            pins[normalize(name)] = version.strip()
    return pins


def dependency_closure(names: list[str]) -> set[str]:
    """Every distribution `pip install names` brings in, per the installed metadata (no extras)."""
    seen: set[str] = set()
    stack = [normalize(n) for n in names]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.distribution(name).requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                stack.append(normalize(requirement.name))
    return seen
