# Databricks notebook source
import time

dbutils.widgets.text("seconds", "30")
print("sleeping", flush=True)
time.sleep(float(dbutils.widgets.get("seconds")))
dbutils.notebook.exit("woke up")
