"""Airflow-side helpers for the churn DAGs: job profiles, the notebook-run operator, notebook result contracts,
notifications. Importable by DAG files: no mlflow, pandas or sklearn here (parse cost)."""
