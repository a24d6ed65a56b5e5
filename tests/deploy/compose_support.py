"""Reading the compose files as Compose does: YAML with anchors and merge keys, `${VAR...}` interpolation, and
the Compose Specification JSON schema.

compose_spec.json is the Compose Specification schema (compose-spec project, Apache-2.0) exactly as the
docker-compose 1.29.2 wheel on PyPI ships it (compose/config/compose_spec.json). It declares draft 2019-09 and
rejects unknown keys everywhere (services, build, healthcheck, depends_on, volumes, ...). It predates a few newer
keys (build.dockerfile_inline, healthcheck.start_interval, top-level `name`), so the compose files do without them.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SCHEMA_PATH = HERE / "compose_spec.json"

_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


class MissingVariable(Exception):
    """A `${VAR:?message}` whose variable is unset: Compose refuses the file with that message."""


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / name).read_text())


def schema_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


def schema_errors(document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in schema_validator().iter_errors(document)]


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation of every string in a loaded file (`$$` is a literal `$`)."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = env.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op in (":-", "-") and unset:
            return arg
        if op in (":?", "?") and unset:
            raise MissingVariable(f"{name}: {arg}")
        return current or ""

    return _VARIABLE.sub(substitute, value)


def services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return document["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """{service: condition}; the short (list) form means service_started."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: spec["condition"] for name, spec in deps.items()}


def healthcheck_command(service: dict[str, Any]) -> str:
    check = service.get("healthcheck") or {}
    if check.get("disable") in (True, "true"):
        return ""
    test = check.get("test") or []
    if isinstance(test, str):
        return test
    if test and test[0] == "CMD-SHELL":
        return " ".join(test[1:])
    return shlex.join(test[1:]) if test and test[0] == "CMD" else ""


def published_port(service: dict[str, Any], container_port: int) -> tuple[str, int]:
    """(host IP, host port) of the short-syntax mapping `[IP:]HOST:CONTAINER` for container_port."""
    for mapping in service.get("ports") or []:
        parts = str(mapping).split(":")
        if int(parts[-1]) == container_port:
            return (parts[0] if len(parts) == 3 else "0.0.0.0"), int(parts[-2])
    raise AssertionError(f"container port {container_port} is not published")


def volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """{target: source} of the short-syntax volumes (`source:target[:mode]`)."""
    mounts = {}
    for entry in service.get("volumes") or []:
        source, target = str(entry).split(":")[:2]
        mounts[target] = source
    return mounts


def dockerfile_instructions(name: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in (REPO_ROOT / name).read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        current = f"{current} {line[:-1].strip()}" if line.endswith("\\") else f"{current} {line}"
        if not line.endswith("\\"):
            lines.append(current.strip())
            current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def image_command(dockerfile: str) -> list[str]:
    """The exec-form CMD of a Dockerfile."""
    commands = [args for instruction, args in dockerfile_instructions(dockerfile) if instruction == "CMD"]
    assert len(commands) == 1, f"{dockerfile}: expected one CMD, found {commands}"
    return json.loads(commands[0])
