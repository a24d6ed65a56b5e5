# Databricks notebook source
# Stub of the retraining notebook for fast DAG wiring tests: registers a version (no training) and exits with
# the real notebook's contract. Widget `description` "bad" makes the stub test notebook fail that version.

# COMMAND ----------
# MAGIC %run ./_rest

# COMMAND ----------
import contextlib
import json

for name in (
    "model_name",
    "source_table",
    "target_col",
    "primary_metric",
    "timeout_minutes",
    "registry",
    "registry_uri",
    "as_of",
):
    dbutils.widgets.text(name, "")
model_name = dbutils.widgets.get("model_name")
if dbutils.widgets.get("source_table") == "missing.table":
    raise ValueError("Table or view not found: missing.table")
registry = dbutils.widgets.get("registry") or "workspace"
prefix = "unity-catalog/" if registry == "uc" else ""  # MLflow's databricks-uc paths
with contextlib.suppress(urllib.error.HTTPError):  # already registered
    call("POST", f"{prefix}registered-models/create", {"name": model_name})
version = call(
    "POST", f"{prefix}model-versions/create", {"name": model_name, "source": "s3://stub/model", "description": "stub"}
)["model_version"]["version"]
if registry == "uc":  # as the real notebook: a READY version tagged as waiting for its tests
    call("POST", "unity-catalog/model-versions/finalize", {"name": model_name, "version": version})
    call(
        "POST",
        "unity-catalog/model-versions/set-tag",
        {"name": model_name, "version": version, "key": "validation_status", "value": "PENDING"},
    )
dbutils.notebook.exit(
    json.dumps(
        {
            "model_name": model_name,
            "version": version,
            "run_id": "stub-run",
            "metrics": {"f1": 0.61, "roc_auc": 0.85},
            "n_rows": 10000,
            "automl_backend": "stub",
            "registry": registry,
            "widgets": {
                name: dbutils.widgets.get(name) for name in ("source_table", "primary_metric", "timeout_minutes")
            },
        }
    )
)
