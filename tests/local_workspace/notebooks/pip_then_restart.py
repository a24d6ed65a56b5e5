# Databricks notebook source
# MAGIC %pip install --quiet -r requirements.txt

# COMMAND ----------

dbutils.library.restartPython()

# COMMAND ----------

dbutils.notebook.exit("restarted")
