"""Databricks registry webhooks into Airflow: a receiver (a FastAPI app the plugin mounts in the API server) that
turns signed deliveries into asset events, and the command and operator that register the webhook on a workspace.

Modules: `settings` (the receiver's connection: secret, models, asset), `delivery` (signature, payload, freshness,
what is relevant: no Airflow state), `store` (replay guard and asset event in the metadata DB), `app` (the HTTP
route), `registration` (list, then create or update the webhook) and `register` (its command line).
"""
