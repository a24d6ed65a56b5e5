# Databricks notebook source
value = dbutils.secrets.get("churn", "api-key")
print(f"the secret is {value}")
dbutils.notebook.exit(f"length={len(value)}")
