"""Anchor for bench_dag_parse.py: a DAG written the plain provider way (three notebook tasks with
DatabricksSubmitRunOperator, literal cluster spec, no custom code). Not deployed: it lives in bench/."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator
from airflow.sdk import DAG

CLUSTER = {
    "spark_version": "15.4.x-cpu-ml-scala2.12",
    "node_type_id": "i3.xlarge",
    "num_workers": 0,
    "spark_conf": {"spark.databricks.cluster.profile": "singleNode", "spark.master": "local[*, 4]"},
    "custom_tags": {"ResourceClass": "SingleNode"},
}


def notebook_task(key: str, path: str, parameters: dict) -> list[dict]:
    return [
        {
            "task_key": key,
            "notebook_task": {"notebook_path": path, "base_parameters": parameters, "source": "WORKSPACE"},
            "new_cluster": CLUSTER,
            "timeout_seconds": 3600,
        }
    ]


with DAG(
    dag_id="anchor_plain_provider",
    schedule="@monthly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
    tags=["bench"],
):
    prepare = DatabricksSubmitRunOperator(
        task_id="prepare", tasks=notebook_task("prepare", "/Shared/prepare", {"table": "bank_churn_analysis.raw_data"})
    )
    train = DatabricksSubmitRunOperator(
        task_id="train", tasks=notebook_task("train", "/Shared/train", {"model_name": "Churn Prediction Bank"})
    )
    evaluate = DatabricksSubmitRunOperator(
        task_id="evaluate", tasks=notebook_task("evaluate", "/Shared/evaluate", {"version": "latest"})
    )
    prepare >> train >> evaluate
