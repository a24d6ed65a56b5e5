# Databricks notebook source
# MAGIC %md
# MAGIC # Widget types
# MAGIC Exits with each widget's Python type and value, as the notebook reads them.

# COMMAND ----------

import json

read = {
    name: [type(dbutils.widgets.get(name)).__name__, dbutils.widgets.get(name)] for name in dbutils.widgets.getAll()
}
dbutils.notebook.exit(json.dumps(read))
