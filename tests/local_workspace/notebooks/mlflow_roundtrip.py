# Databricks notebook source
# MAGIC %md
# MAGIC Notebook code written for Databricks: MLflow with the `databricks` URIs, no host or token in the code.

# COMMAND ----------

import json

import mlflow
from mlflow import MlflowClient

mlflow.set_registry_uri("databricks")
dbutils.widgets.text("experiment", "/Shared/local-workspace-jobs-test")
mlflow.set_experiment(dbutils.widgets.get("experiment"))
with mlflow.start_run() as run:
    mlflow.log_metric("f1", 0.61)
logged = MlflowClient().get_run(run.info.run_id)
dbutils.notebook.exit(json.dumps({"run_id": run.info.run_id, "f1": logged.data.metrics["f1"]}))
