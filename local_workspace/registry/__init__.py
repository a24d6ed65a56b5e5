"""Databricks-only Workspace Model Registry endpoints: transition requests, comments, Databricks views."""
