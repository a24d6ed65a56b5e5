"""Airflow-side helpers for the churn DAGs: job profiles, params (generated from `churn_contract`), the
notebook-run operator, reading the notebooks' results, notifications. Importable by DAG files: no mlflow, pandas or
sklearn here (parse cost)."""
