"""Airflow components for the Databricks Workspace Model Registry: hook, trigger, sensor, operators, links."""
