"""Unity Catalog models: catalogs, schemas, registered models, versions, aliases and tags, kept apart from the
workspace registry's models (own tables in workspace.db, own file tree), served on the paths real clients call:
databricks-sdk's `/api/2.1/unity-catalog/...` and MLflow's `databricks-uc` client `/api/2.0/mlflow/unity-catalog/...`.
"""
