# Databricks notebook source
# MAGIC %md
# MAGIC # Retrain the churn model
# MAGIC
# MAGIC Reads `source_table`, drops `RowNumber`, `CustomerId`, `Surname`, splits train / validation / holdout by a
# MAGIC stable hash of `CustomerId`, runs AutoML (Databricks AutoML on an ML runtime, FLAML elsewhere) under
# MAGIC `timeout_minutes` for `primary_metric`, logs every trial, a logistic-regression baseline and
# MAGIC validation/holdout metrics, and registers the best model as `model_name`.
# MAGIC
# MAGIC Exits with `{model_name, version, run_id, metrics, n_rows, automl_backend}`. It does not request a stage
# MAGIC transition: the Airflow DAG does.

# COMMAND ----------

import os
import sys

# In a Databricks Git folder the notebook runs in its own directory; `churn` lives next to it in `include/`.
_include_dir = os.path.abspath(os.path.join(os.getcwd(), ".."))
if _include_dir not in sys.path:
    sys.path.insert(0, _include_dir)

# COMMAND ----------

from churn.settings import RETRAIN_WIDGETS, RetrainSettings, declare_widgets

declare_widgets(dbutils, RETRAIN_WIDGETS)
settings = RetrainSettings.from_widgets(dbutils.widgets.get)

# COMMAND ----------

import json

import mlflow

from churn.storage import read_table
from churn.training import train_and_register

mlflow.set_registry_uri(settings.registry_uri)
if settings.experiment_name:
    mlflow.set_experiment(settings.experiment_name)
table = read_table(settings.source_table, spark=globals().get("spark"))
result = train_and_register(table, settings.training)
print(f"registered {result.model_name} v{result.version} ({result.automl_backend}, {result.trials} trials)")

# COMMAND ----------

dbutils.notebook.exit(json.dumps(result.exit_payload()))
