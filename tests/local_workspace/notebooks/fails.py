# Databricks notebook source
def check(value):
    raise ValueError(f"bad value {value}")


# COMMAND ----------

print("about to fail")
check(42)
