# Databricks notebook source
# Exits with its widget `x`: lets tests/dags/test_churn_pipeline.py check what a submitted run received.
import json

dbutils.widgets.text("x", "")
dbutils.notebook.exit(json.dumps({"x": dbutils.widgets.get("x")}))
