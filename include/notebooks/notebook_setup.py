# Databricks notebook source
# MAGIC %md
# MAGIC # Notebook set-up (run by the churn notebooks with `%run ./notebook_setup`)
# MAGIC
# MAGIC Makes `churn` and `churn_contract` importable: they live in `include/`, the parent of this folder. The folder
# MAGIC is found from the notebook's own path, never from the working directory alone: the local workspace sets
# MAGIC `__file__`; Databricks has no `__file__` but knows the notebook's workspace path, whose files are readable
# MAGIC under `/Workspace` (Git folders and workspace files); the working directory (the notebook's folder on DBR 14+
# MAGIC and serverless) is the last resort.

# COMMAND ----------

import os
import sys


def _notebook_folder() -> str:
    if "__file__" in globals():
        return os.path.dirname(os.path.abspath(__file__))
    try:
        path = dbutils.notebook.entry_point.getDbutils().notebook().getContext().notebookPath().get()
    except Exception:  # noqa: BLE001 - not a Databricks notebook context: fall back to the working directory
        return os.getcwd()
    folder = os.path.dirname(path if path.startswith("/Workspace/") else f"/Workspace{path}")
    return folder if os.path.isdir(folder) else os.getcwd()


INCLUDE_DIR = os.path.dirname(_notebook_folder())
if INCLUDE_DIR not in sys.path:
    sys.path.insert(0, INCLUDE_DIR)
