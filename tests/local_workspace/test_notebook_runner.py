"""The notebook runner as the dispatcher uses it: `python -m local_workspace.runner` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).parent / "notebooks"


def run_notebook(
    tmp_path: Path, name: str, params: dict | None = None, env: dict | None = None, secrets: dict | None = None
) -> tuple[dict, subprocess.CompletedProcess]:
    params_file = tmp_path / "params.json"
    params_file.write_text(json.dumps(params or {}))
    result_file = tmp_path / "result.json"
    command = [
        sys.executable,
        "-m",
        "local_workspace.runner",
        "--notebook",
        str(NOTEBOOKS / name),
        "--params",
        str(params_file),
        "--result",
        str(result_file),
    ]
    if secrets is not None:
        (tmp_path / "secrets.json").write_text(json.dumps(secrets))
        command += ["--secrets-file", str(tmp_path / "secrets.json")]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})
    return json.loads(result_file.read_text()), completed


def test_widgets_and_exit_value(tmp_path):
    result, completed = run_notebook(tmp_path, "hello", {"name": "Ada", "punctuation": "!"})
    assert result == {"status": "SUCCESS", "result": json.dumps({"greeting": "hello Ada!"}), "truncated": False}
    assert completed.stdout.strip() == "hello Ada!"  # the cell after exit() never ran


def test_run_magic_shares_the_namespace_and_passes_arguments(tmp_path):
    result, completed = run_notebook(tmp_path, "uses_run.py")
    assert result["status"] == "SUCCESS" and result["result"] == "FROM RUN!"
    assert "ignored `%pip install not-needed-locally`" in completed.stderr


def test_exception_fails_with_error_and_notebook_traceback(tmp_path):
    result, completed = run_notebook(tmp_path, "fails")
    assert completed.returncode == 1
    assert result["status"] == "FAILED"
    assert result["error"] == "ValueError: bad value 42"
    trace = result["error_trace"]
    failing_line = (NOTEBOOKS / "fails.py").read_text().splitlines().index("check(42)") + 1  # the formatter may move it
    assert f'{NOTEBOOKS / "fails.py"}", line {failing_line}' in trace and "line 3, in check" in trace
    assert "local_workspace/runner" not in trace  # only the user's frames


def test_unsupported_magic_is_a_clear_failure(tmp_path):
    result, _ = run_notebook(tmp_path, "sql_magic")
    assert result["status"] == "FAILED"
    assert "%sql" in result["error"] and "not supported by the local workspace" in result["error"]


def test_secret_values_never_reach_the_logs(tmp_path):
    result, completed = run_notebook(tmp_path, "read_secret", secrets={"churn": {"api-key": "s3cr3t-value"}})
    assert result == {"status": "SUCCESS", "result": "length=12", "truncated": False}
    assert "s3cr3t-value" not in completed.stdout + completed.stderr
    assert "the secret is [REDACTED]" in completed.stdout


def test_secret_from_environment(tmp_path):
    result, _ = run_notebook(tmp_path, "read_secret", env={"LOCAL_WORKSPACE_SECRET_CHURN_API_KEY": "abcd"})
    assert result["result"] == "length=4"


def test_missing_secret_fails_clearly(tmp_path):
    result, _ = run_notebook(tmp_path, "read_secret", secrets={})
    assert result["status"] == "FAILED"
    assert result["error"].startswith("SecretNotFound: Secret does not exist with scope: churn and key: api-key")


def test_missing_notebook(tmp_path):
    result, completed = run_notebook(tmp_path, "does_not_exist")
    assert completed.returncode == 1
    assert result["status"] == "FAILED" and "Notebook not found" in result["error"]


def test_working_directory_is_the_notebooks_directory(tmp_path):
    notebook = tmp_path / "nb" / "cwd.py"
    notebook.parent.mkdir()
    notebook.write_text("# Databricks notebook source\nimport os\ndbutils.notebook.exit(os.getcwd())\n")
    result_file = tmp_path / "result.json"
    subprocess.run(
        [sys.executable, "-m", "local_workspace.runner", "--notebook", str(notebook), "--result", str(result_file)],
        check=True,
        timeout=120,
    )
    assert json.loads(result_file.read_text())["result"] == str(notebook.parent)


def test_absolute_run_paths_resolve_in_the_workspace_root(tmp_path):
    root = tmp_path / "ws"
    (root / "Shared").mkdir(parents=True)
    (root / "Shared" / "lib.py").write_text("# Databricks notebook source\nANSWER = 42\n")
    notebook = root / "Users" / "me" / "main.py"
    notebook.parent.mkdir(parents=True)
    notebook.write_text(
        "# Databricks notebook source\n# MAGIC %run /Workspace/Shared/lib\n\n"
        "# COMMAND ----------\n\ndbutils.notebook.exit(str(ANSWER))\n"
    )
    result_file = tmp_path / "result.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "local_workspace.runner",
            "--notebook",
            str(notebook),
            "--result",
            str(result_file),
            "--workspace-root",
            str(root),
        ],
        timeout=120,
    )
    assert json.loads(result_file.read_text()) == {"status": "SUCCESS", "result": "42", "truncated": False}


def test_run_of_a_missing_notebook_fails_clearly(tmp_path):
    notebook = tmp_path / "main.py"
    notebook.write_text("# Databricks notebook source\n# MAGIC %run ./nowhere\n")
    result_file = tmp_path / "result.json"
    subprocess.run(
        [sys.executable, "-m", "local_workspace.runner", "--notebook", str(notebook), "--result", str(result_file)],
        timeout=120,
    )
    result = json.loads(result_file.read_text())
    assert result["status"] == "FAILED" and "%run ./nowhere" in result["error"] and "not found" in result["error"]


def test_task_values_outside_a_job_answer_the_debug_value(tmp_path):
    result, _ = run_notebook(tmp_path, "get_task_value")
    assert json.loads(result["result"]) == {"version": 0, "metrics": {}, "missing": "debug"}


def test_restart_python_after_pip_is_accepted(tmp_path):
    """Databricks' pattern after %pip (the churn notebooks use it): both are no-ops locally."""
    result, completed = run_notebook(tmp_path, "pip_then_restart")
    assert result["status"] == "SUCCESS" and result["result"] == "restarted", completed.stderr
