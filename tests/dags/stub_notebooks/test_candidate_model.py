# Databricks notebook source
# Stub of the candidate-test notebook: a version whose description contains "bad" fails `input_schema`
# (workspace-registry and Unity Catalog events alike).

# COMMAND ----------
# MAGIC %run ./_rest

# COMMAND ----------
import json

dbutils.widgets.text("event_message", "")
dbutils.widgets.text("min_f1", "0.5")
event = json.loads(dbutils.widgets.get("event_message"))
# A Unity Catalog event (the UC sensor's, `registry: "uc"`) names a UC model: MLflow's databricks-uc paths.
prefix = "unity-catalog/" if event.get("registry") == "uc" else ""
version = call("GET", f"{prefix}model-versions/get", {"name": event["model_name"], "version": event["version"]})[
    "model_version"
]
bad = "bad" in (version.get("description") or "")
checks = [
    {
        "name": "input_schema",
        "passed": not bad,
        "measured": "9 columns" if bad else "10 columns",
        "threshold": "10 columns",
        "detail": "missing column Age" if bad else "",
    },
    {
        "name": "holdout_quality",
        "passed": True,
        "measured": 0.61,
        "threshold": float(dbutils.widgets.get("min_f1")),
        "detail": "",
    },
]
report = "| check | passed |\n|---|---|\n" + "\n".join(f"| {c['name']} | {c['passed']} |" for c in checks)
dbutils.notebook.exit(
    json.dumps(
        {
            "passed": not bad,
            "checks": checks,
            "metrics": {"f1": 0.61},
            "champion_version": None,
            "evaluation_run_id": "stub-eval",
            "report_markdown": report,
        }
    )
)
