# Databricks notebook source
import json
import os

import requests

# The notebook talks back to the workspace with the submitter's token, as notebook code on Databricks does.
host, token = os.environ["DATABRICKS_HOST"], os.environ["DATABRICKS_TOKEN"]
answer = requests.get(f"{host}/api/2.2/jobs/runs/list", headers={"Authorization": f"Bearer {token}"}, timeout=10)
print("token is", token)
dbutils.notebook.exit(
    json.dumps(
        {
            "cwd": os.getcwd(),
            "host": host,
            "api_status": answer.status_code,
            "tracking_uri": os.environ.get("MLFLOW_TRACKING_URI"),
            "registry_uri": os.environ.get("MLFLOW_REGISTRY_URI"),
            "warehouse_dir": os.environ.get("LOCAL_WORKSPACE_WAREHOUSE_DIR"),
            "token_echo": token,
        }
    )
)
