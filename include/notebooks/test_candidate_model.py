# Databricks notebook source
# MAGIC %md
# MAGIC # Test a candidate churn model version
# MAGIC
# MAGIC Input: widget `event_message`, the JSON a Databricks registry job webhook sends
# MAGIC (`event, model_name, version, to_stage, from_stage, event_timestamp, text`). Loads
# MAGIC `models:/{model_name}/{version}` and runs the checks input_schema, prediction_contract, holdout_quality,
# MAGIC champion_comparison, slice_gaps, batch_latency and metadata on the holdout split of `source_table`.
# MAGIC
# MAGIC Logs an evaluation run (metrics, `report.json`, plots), tags the version `check.<name>` = passed|failed and
# MAGIC exits with `{passed, checks, metrics, champion_version, evaluation_run_id, report_markdown}`. Bad input or a
# MAGIC model that cannot load gives `passed: false` with the reason. It never approves, rejects or comments.

# COMMAND ----------

import os
import sys

# In a Databricks Git folder the notebook runs in its own directory; `churn` lives next to it in `include/`.
_include_dir = os.path.abspath(os.path.join(os.getcwd(), ".."))
if _include_dir not in sys.path:
    sys.path.insert(0, _include_dir)

# COMMAND ----------

from churn.settings import TEST_WIDGETS, declare_widgets

declare_widgets(dbutils, TEST_WIDGETS)

# COMMAND ----------

from churn.candidate import run_candidate_tests

outcome = run_candidate_tests(dbutils.widgets.get("event_message"), dbutils.widgets.get, spark=globals().get("spark"))
print(outcome.report_markdown)

# COMMAND ----------

dbutils.notebook.exit(outcome.to_json())
