"""Files API subset (`/api/2.0/fs/files`, `/api/2.0/fs/directories`) for MLflow's run and model artifacts."""
