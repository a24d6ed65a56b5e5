"""A Databricks-compatible local workspace: MLflow's own tracking server plus the Databricks-only
registry endpoints (transition requests, comments), the Jobs runs API and a notebook runner."""
