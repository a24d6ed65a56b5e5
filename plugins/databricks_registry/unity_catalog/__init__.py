"""Airflow components for Unity Catalog models: hook, deferrable waits for validation and approval tags.

Kept import-light on purpose: `databricks_registry.endpoints` reads `unity_catalog.endpoints` (which writes are
idempotent), so importing this package must not import the hook.
"""
