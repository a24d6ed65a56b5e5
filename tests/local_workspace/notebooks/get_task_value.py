# Databricks notebook source
import json

version = dbutils.jobs.taskValues.get(taskKey="train", key="model_version", debugValue=0)
metrics = dbutils.jobs.taskValues.get("train", "metrics", default={}, debugValue={})
missing = dbutils.jobs.taskValues.get("train", "nothing", default="fallback", debugValue="debug")
dbutils.notebook.exit(json.dumps({"version": version, "metrics": metrics, "missing": missing}))
