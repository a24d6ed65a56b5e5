# Databricks notebook source
# MAGIC %run ./helpers/lib $suffix="!"

# COMMAND ----------

# MAGIC %pip install not-needed-locally

# COMMAND ----------

dbutils.notebook.exit(shout("from run"))
