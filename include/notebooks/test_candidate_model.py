# Databricks notebook source
# MAGIC %md
# MAGIC # Test a candidate churn model version
# MAGIC
# MAGIC Input: widget `event_message`, the JSON a Databricks registry job webhook sends
# MAGIC (`event, model_name, version, to_stage, from_stage, event_timestamp, text`). Loads
# MAGIC `models:/{model_name}/{version}` and runs the checks input_schema, prediction_contract, holdout_quality,
# MAGIC champion_comparison, slice_gaps, batch_latency and metadata on the holdout split of `source_table` (its latest
# MAGIC version), and data_drift: the population stability index per feature between the candidate's and the
# MAGIC champion's training data, each rebuilt from what its training run recorded (table, Delta version, `as_of`).
# MAGIC
# MAGIC Logs an evaluation run (metrics, `report.json`, plots), tags the version `check.<name>` = passed|failed and
# MAGIC exits with `{passed, checks, metrics, champion_version, evaluation_run_id, report_markdown}`
# MAGIC (`churn_contract.results.CandidateTestResult`). Bad input or a model that cannot load gives `passed: false`
# MAGIC with the reason. It never approves, rejects or comments. Run it cell by cell: paste a payload into
# MAGIC `event_message` (e.g. `{"model_name": "Churn Prediction Bank", "version": "1", "to_stage": "Staging"}`), then run.

# COMMAND ----------

# The widgets, with the defaults of churn_contract.options.CandidateTestOptions (the promotion DAG's params of the
# same names) and churn.settings.TEST_WIDGETS; tests/churn/test_contract_agreement.py keeps them equal.
dbutils.widgets.text("event_message", "", "Registry webhook payload (JSON)")
dbutils.widgets.text("min_f1", "0.5", "holdout_quality: minimum F1")
dbutils.widgets.text("min_roc_auc", "0.75", "holdout_quality: minimum ROC-AUC")
dbutils.widgets.text("max_f1_drop", "0.05", "champion_comparison: largest relative F1 drop")
dbutils.widgets.text("max_psi", "0.2", "data_drift: largest PSI per feature vs the champion's data")
dbutils.widgets.text("max_slice_gap", "0.35", "slice_gaps: largest F1/recall gap across groups")
dbutils.widgets.text("max_p95_latency_ms", "500", "batch_latency: p95 ms to score 1,000 rows")
dbutils.widgets.dropdown("mode", "enforce", ["enforce", "dry_run"], "enforce | dry_run")
dbutils.widgets.text("source_table", "bank_churn_analysis.raw_data", "Table whose holdout split is the test data")
dbutils.widgets.text("target_col", "Exited", "Label column")
dbutils.widgets.text("registry_uri", "databricks", "MLflow registry URI (databricks = Workspace Model Registry)")
dbutils.widgets.text(
    "experiment_name",
    "/Shared/churn_model_candidate_tests",
    "MLflow experiment for evaluation runs (empty = the notebook's own)",
)

# COMMAND ----------

# MAGIC %pip install --quiet -r requirements.txt

# COMMAND ----------

# %pip upgrades mlflow, scikit-learn and pydantic, which the runtime has already loaded: restart Python so the
# cells below import the new versions (since DBR 13, %pip no longer restarts it; the widgets keep their values).
dbutils.library.restartPython()

# COMMAND ----------

# MAGIC %run ./notebook_setup

# COMMAND ----------

from churn.candidate import run_candidate_tests
from churn.report import checks_table, metrics_table

outcome = run_candidate_tests(dbutils.widgets.get("event_message"), dbutils.widgets.get, spark=globals().get("spark"))
print(outcome.report_markdown)
display(checks_table(outcome.checks))
display(metrics_table(outcome.metrics))

# COMMAND ----------

dbutils.notebook.exit(outcome.to_json())
