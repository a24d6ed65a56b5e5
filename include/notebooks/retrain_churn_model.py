# Databricks notebook source
# MAGIC %md
# MAGIC # Retrain the churn model
# MAGIC
# MAGIC Reads `source_table` (its latest Delta version) up to `as_of`: only the months that began before that date
# MAGIC (the Airflow DAG passes its data interval's end; empty = all rows). Drops `RowNumber`, `CustomerId`, `Surname`, splits train / validation / holdout by a
# MAGIC stable hash of `CustomerId`, runs AutoML (Databricks AutoML on an ML runtime, FLAML elsewhere) under
# MAGIC `timeout_minutes` for `primary_metric`, logs every trial, a logistic-regression baseline and
# MAGIC validation/holdout metrics, and registers the best model as `model_name`. The run records the exact data:
# MAGIC `mlflow.log_input` (table, Delta version, as_of) and the `churn.data.*` tags.
# MAGIC
# MAGIC With `registry` = `uc` the model is registered in Unity Catalog (`databricks-uc`; `model_name` is
# MAGIC `catalog.schema.model`, the schema must exist) and the new version is tagged `validation_status=PENDING`:
# MAGIC the promotion DAG tests it and sets the aliases.
# MAGIC Exits with `{model_name, version, run_id, metrics, n_rows, automl_backend, training_data, registry}` (`churn_contract.results.TrainingResult`).
# MAGIC It does not request a stage transition or set an alias: the Airflow DAGs do. Run it cell by cell: set the widgets above, then run.

# COMMAND ----------

# The widgets, with the defaults of churn.settings.RETRAIN_WIDGETS (tests/churn/test_contract_agreement.py keeps
# them equal). The Airflow DAG sets every one of them.
dbutils.widgets.text("model_name", "Churn Prediction Bank", "Registered model name")
dbutils.widgets.text("source_table", "bank_churn_analysis.raw_data", "Training table (schema.table)")
dbutils.widgets.text("target_col", "Exited", "Label column")
dbutils.widgets.dropdown(
    "primary_metric", "f1", ["f1", "roc_auc", "precision", "accuracy", "log_loss"], "AutoML primary metric"
)
dbutils.widgets.text("timeout_minutes", "0.25", "AutoML time budget (minutes; Databricks AutoML uses at least 5)")
dbutils.widgets.dropdown(
    "registry", "workspace", ["workspace", "uc"], "Registry: workspace (Workspace Model Registry) or uc (Unity Catalog)"
)
dbutils.widgets.text("registry_uri", "databricks", "MLflow registry URI (databricks = Workspace Model Registry)")
dbutils.widgets.text(
    "experiment_name",
    "/Shared/churn_model_retraining",
    "MLflow experiment (workspace path; empty = the notebook's own)",
)
dbutils.widgets.text("as_of", "", "Train on the months that began before this date (YYYY-MM-DD; empty = all rows)")

# COMMAND ----------

# MAGIC %pip install --quiet -r requirements.txt

# COMMAND ----------

# %pip upgrades mlflow, scikit-learn and pydantic, which the runtime has already loaded: restart Python so the
# cells below import the new versions (since DBR 13, %pip no longer restarts it; the widgets keep their values).
dbutils.library.restartPython()

# COMMAND ----------

# MAGIC %run ./notebook_setup

# COMMAND ----------

from churn.settings import RetrainSettings

settings = RetrainSettings.from_widgets(dbutils.widgets.get)

# COMMAND ----------

import mlflow

from churn.lineage import load_training_data
from churn.report import metrics_table
from churn.training import train_and_register

mlflow.set_registry_uri(settings.registry_uri)
if settings.experiment_name:
    mlflow.set_experiment(settings.experiment_name)
table, training_data = load_training_data(settings.source_table, settings.as_of, spark=globals().get("spark"))
result = train_and_register(table, settings.training, training_data)
print(f"registered {result.model_name} v{result.version} ({result.automl_backend}, {result.trials} trials)")
print(f"trained on {training_data.dataset_name()}: {training_data.describe()}")
display(metrics_table(result.metrics))

# COMMAND ----------

dbutils.notebook.exit(result.to_json())
