# Databricks notebook source
# MAGIC %md
# MAGIC # Hello
# MAGIC Reads a widget and exits with a JSON greeting.

# COMMAND ----------

import json

dbutils.widgets.text("name", "world")
dbutils.widgets.dropdown("punctuation", ".", [".", "!"])

# COMMAND ----------

greeting = f"hello {dbutils.widgets.get('name')}{dbutils.widgets.get('punctuation')}"
print(greeting)
dbutils.notebook.exit(json.dumps({"greeting": greeting}))

# COMMAND ----------

raise AssertionError("unreachable: exit stops the notebook")
