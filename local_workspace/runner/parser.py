"""Parse Databricks notebook source files (`# Databricks notebook source`, `# COMMAND ----------`, `# MAGIC`)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

HEADER = "# Databricks notebook source"
CELL_SEPARATOR = re.compile(r"^# COMMAND -{10,}\s*$")
MAGIC_PREFIX = "# MAGIC"


class NotebookSyntaxError(Exception):
    """A notebook cell the local runner cannot execute (unsupported magic, malformed %run)."""


@dataclass(frozen=True)
class Cell:
    """One notebook command. `kind` is python, markdown, run, pip or magic (any other %magic)."""

    kind: str
    source: str
    first_line: int  # 1-based line of the cell's code in the file, so tracebacks point at real lines
    magic: str = ""  # the magic name without %, for kind "magic" / "pip"
    run_path: str = ""  # for kind "run": the notebook to include
    run_args: dict[str, str] = field(default_factory=dict)  # for kind "run": `$name=value` widget values


def parse_notebook(text: str) -> list[Cell]:
    """Split a notebook's text into cells. A file without the Databricks header is one Python cell."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != HEADER:
        return [Cell("python", text, 1)] if text.strip() else []
    cells: list[Cell] = []
    chunk: list[str] = []
    chunk_start = 2
    for number, line in enumerate(lines[1:], start=2):
        if CELL_SEPARATOR.match(line):
            cells.extend(_make_cell(chunk, chunk_start))
            chunk, chunk_start = [], number + 1
        else:
            chunk.append(line)
    cells.extend(_make_cell(chunk, chunk_start))
    return cells


def _make_cell(lines: list[str], start: int) -> list[Cell]:
    # Blank lines around a command are layout only; drop them but keep line numbers right.
    while lines and not lines[0].strip():
        lines, start = lines[1:], start + 1
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if not lines:
        return []
    if all(line.startswith(MAGIC_PREFIX) for line in lines):
        return [_magic_cell([_strip_magic(line) for line in lines], start)]
    return [Cell("python", "\n".join(lines), start)]


def _strip_magic(line: str) -> str:
    rest = line[len(MAGIC_PREFIX) :]
    return rest[1:] if rest.startswith(" ") else rest


def _magic_cell(lines: list[str], start: int) -> Cell:
    first = lines[0].strip()
    if not first.startswith("%"):
        # `# MAGIC` lines without a leading magic: Databricks treats them as the notebook's language.
        return Cell("python", "\n".join(lines), start)
    name, _, argument = first[1:].partition(" ")
    body = "\n".join(lines[1:])
    if name == "md" or name == "md-sandbox":
        return Cell("markdown", body, start + 1, magic=name)
    if name == "python":
        if argument.strip():  # `%python x = 1` keeps code on the magic line
            return Cell("python", "\n".join([argument, *lines[1:]]), start)
        return Cell("python", body, start + 1)
    if name == "run":
        path, args = parse_run_command(argument, start)
        return Cell("run", first, start, magic=name, run_path=path, run_args=args)
    if name == "pip":
        return Cell("pip", first + ("\n" + body if body else ""), start, magic=name)
    return Cell("magic", "\n".join(lines), start, magic=name)


def parse_run_command(argument: str, line: int) -> tuple[str, dict[str, str]]:
    """`%run ./other $name="value" $n=1` -> ("./other", {"name": "value", "n": "1"})."""
    try:
        words = shlex.split(argument)
    except ValueError as exc:
        raise NotebookSyntaxError(f"line {line}: cannot parse %run arguments {argument!r}: {exc}") from exc
    if not words:
        raise NotebookSyntaxError(f"line {line}: %run needs a notebook path, e.g. %run ./helpers")
    path, args = words[0], {}
    for word in words[1:]:
        name, sep, value = word.partition("=")
        if not name.startswith("$") or not sep or len(name) < 2:
            raise NotebookSyntaxError(f"line {line}: %run arguments must look like $name=value, got {word!r}")
        args[name[1:]] = value
    return path, args


def resolve_notebook_file(path: Path) -> Path | None:
    """A notebook path may omit `.py`, as workspace paths do."""
    for candidate in (path, path.with_name(path.name + ".py")):
        if candidate.is_file():
            return candidate
    return None
