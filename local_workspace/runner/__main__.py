"""Entry point of the notebook subprocess: `python -m local_workspace.runner --notebook ... --result ...`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from local_workspace.runner.execute import NotebookExecutor
from local_workspace.runner.parser import resolve_notebook_file
from local_workspace.runner.redact import Redactor, redact_output_fds_until_exit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_workspace.runner", description=__doc__)
    parser.add_argument("--notebook", required=True, type=Path, help="the notebook .py file to run")
    parser.add_argument("--params", type=Path, help="JSON file with the widget values (base_parameters)")
    parser.add_argument("--result", required=True, type=Path, help="where to write the outcome JSON")
    parser.add_argument("--secrets-file", type=Path, help="JSON {scope: {key: value}}")
    parser.add_argument("--workspace-root", type=Path, help="directory that absolute `%%run /...` paths resolve in")
    parser.add_argument("--task-values-dir", type=Path, help="where dbutils.jobs.taskValues of this run live")
    parser.add_argument("--task-key", help="this task's key (for dbutils.jobs.taskValues.set)")
    parser.add_argument("--sys-path", action="append", default=[], help="extra import roots (e.g. a git checkout)")
    args = parser.parse_args(argv)

    parameters = json.loads(args.params.read_text()) if args.params else {}
    notebook = resolve_notebook_file(args.notebook.resolve())
    if notebook is None:
        _write_result(args.result, {"status": "FAILED", "error": f"Notebook not found: {args.notebook}"})
        return 1
    # As on Databricks: the notebook's directory is the working directory and importable.
    os.chdir(notebook.parent)
    for root in [str(notebook.parent), *args.sys_path]:
        if root not in sys.path:
            sys.path.insert(0, root)

    redactor = Redactor([os.environ.get("DATABRICKS_TOKEN", "")])
    sys.stdout.flush()
    sys.stderr.flush()
    # The pipes stay until the process exits: the notebook's threads and atexit handlers may still print.
    redact_output_fds_until_exit(redactor)
    outcome = NotebookExecutor(
        parameters, args.secrets_file, redactor, args.workspace_root, args.task_values_dir, args.task_key
    ).run(notebook)
    _write_result(args.result, outcome.to_dict())
    return 0 if outcome.status == "SUCCESS" else 1


def _write_result(path: Path, outcome: dict) -> None:
    """Atomic (the dispatcher never reads half a result) and durable (fsync'd before the runner exits), so a
    server that crashed meanwhile adopts the result on restart instead of running the notebook again."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as out:
        out.write(json.dumps(outcome))
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


if __name__ == "__main__":
    sys.exit(main())
