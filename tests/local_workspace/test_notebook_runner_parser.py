"""Unit tests of the notebook runner's pieces: source-format parsing, the dbutils shim, redaction."""

from __future__ import annotations

import json

import pytest

from local_workspace.runner.dbutils import DBUtils, InputWidgetNotDefined, NotebookExit, SecretNotFound
from local_workspace.runner.parser import NotebookSyntaxError, parse_notebook, parse_run_command
from local_workspace.runner.redact import Redactor

NOTEBOOK = """# Databricks notebook source
# MAGIC %md
# MAGIC # Title

# COMMAND ----------

x = 1
y = x + 1

# COMMAND ----------

# MAGIC %run ./helpers/lib $suffix="!" $n=3

# COMMAND ----------

# MAGIC %pip install something==1.0

# COMMAND ----------

# MAGIC %sql
# MAGIC SELECT 1

# COMMAND ----------

# MAGIC %python
# MAGIC z = 3
"""


def test_cells_are_split_on_command_separators_and_magics_are_classified():
    cells = parse_notebook(NOTEBOOK)
    assert [c.kind for c in cells] == ["markdown", "python", "run", "pip", "magic", "python"]
    python = cells[1]
    assert python.source == "x = 1\ny = x + 1"
    # Line numbers match the file so tracebacks point at the real notebook line.
    assert NOTEBOOK.splitlines()[python.first_line - 1] == "x = 1"
    assert cells[2].run_path == "./helpers/lib" and cells[2].run_args == {"suffix": "!", "n": "3"}
    assert cells[4].magic == "sql"
    assert cells[5].source == "z = 3"
    assert NOTEBOOK.splitlines()[cells[5].first_line - 1] == "# MAGIC z = 3"


def test_a_file_without_the_databricks_header_is_one_python_cell():
    cells = parse_notebook("print('plain script')\n")
    assert len(cells) == 1 and cells[0].kind == "python" and cells[0].first_line == 1


def test_run_command_arguments_must_be_dollar_assignments():
    with pytest.raises(NotebookSyntaxError, match=r"\$name=value"):
        parse_run_command("./lib suffix=1", 3)
    with pytest.raises(NotebookSyntaxError, match="needs a notebook path"):
        parse_run_command("", 3)


def test_widgets_parameters_override_defaults_and_undefined_widgets_raise():
    widgets = DBUtils({"name": "from-job"}, None, lambda _v: None).widgets
    widgets.text("name", "default")
    widgets.dropdown("color", "red", ["red", "blue"])
    assert widgets.get("name") == "from-job"
    assert widgets.get("color") == "red"
    # A job parameter is readable even without a widget declaration, as on Databricks.
    assert DBUtils({"only_param": "v"}, None, lambda _v: None).widgets.get("only_param") == "v"
    with pytest.raises(InputWidgetNotDefined, match="No input widget named missing is defined"):
        widgets.get("missing")
    assert widgets.getArgument("missing", "fallback") == "fallback"
    widgets.removeAll()
    with pytest.raises(InputWidgetNotDefined):
        widgets.get("color")


def test_dropdown_default_must_be_one_of_the_choices():
    widgets = DBUtils({}, None, lambda _v: None).widgets
    with pytest.raises(ValueError, match="not one of its choices"):
        widgets.dropdown("color", "green", ["red", "blue"])
    widgets.multiselect("colors", "red,blue", ["red", "blue", "green"])
    assert widgets.get("colors") == "red,blue"


def test_notebook_exit_stops_with_a_string_value():
    with pytest.raises(NotebookExit) as stopped:
        DBUtils({}, None, lambda _v: None).notebook.exit({"a": 1})
    assert stopped.value.value == "{'a': 1}"


def test_secrets_come_from_env_or_file_and_are_registered_for_redaction(tmp_path, monkeypatch):
    secrets_file = tmp_path / "secrets.json"
    secrets_file.write_text(json.dumps({"churn": {"api-key": "file-secret"}}))
    monkeypatch.setenv("LOCAL_WORKSPACE_SECRET_CHURN_DB_PASSWORD", "env-secret")
    revealed: list[str] = []
    secrets = DBUtils({}, secrets_file, revealed.append).secrets
    assert secrets.get("churn", "api-key") == "file-secret"
    assert secrets.get("churn", "db-password") == "env-secret"
    assert revealed == ["file-secret", "env-secret"]
    assert secrets.list("churn") == ["api-key"]
    with pytest.raises(SecretNotFound, match="scope: churn and key: nope"):
        secrets.get("churn", "nope")


def test_redactor_replaces_every_registered_value():
    redact = Redactor(["tok-123456"])
    redact.add("hunter22")
    assert redact("token tok-123456 and hunter22") == "token [REDACTED] and [REDACTED]"
