# Databricks notebook source
# Exits with a value chosen by widget `mode`, so read_notebook_result can be tested on every kind of outcome.
import json

mode = dbutils.widgets.get("mode")

# COMMAND ----------

if mode == "fail":
    raise RuntimeError("candidate model could not be loaded")
if mode == "json":
    dbutils.notebook.exit(json.dumps({"passed": True, "checks": [], "report_markdown": "ok ü"}))
if mode == "text":
    dbutils.notebook.exit("all good")
if mode == "list":
    dbutils.notebook.exit("[1, 2]")
if mode == "huge":
    dbutils.notebook.exit(json.dumps({"blob": "x" * (5 * 1024 * 1024 + 10)}))
# mode "none": the notebook ends without dbutils.notebook.exit
