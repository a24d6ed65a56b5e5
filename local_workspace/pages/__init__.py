"""Browser pages of the local workspace: job run pages, registry activity pages, and the bridge that makes
Databricks-shaped links (`#mlflow/models/...`, `#job/...`) open in MLflow's UI or on these pages."""
