"""What both anchor DAGs share: three notebook tasks written the plain provider way (DatabricksSubmitRunOperator,
literal single-node cluster spec) and the DAG settings. Not a DAG file; bench_dag_parse.py puts this folder on
sys.path, as Airflow does with its DAGs folder."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator

CLUSTER = {
    "spark_version": "15.4.x-cpu-ml-scala2.12",
    "node_type_id": "i3.xlarge",
    "num_workers": 0,
    "spark_conf": {"spark.databricks.cluster.profile": "singleNode", "spark.master": "local[*, 4]"},
    "custom_tags": {"ResourceClass": "SingleNode"},
}
DAG_SETTINGS = {
    "schedule": "@monthly",
    "start_date": datetime(2026, 1, 1),
    "catchup": False,
    "default_args": {"retries": 2, "retry_delay": timedelta(minutes=2)},
    "tags": ["bench"],
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


def prepare_train_evaluate() -> None:
    """prepare >> train >> evaluate, inside the DAG context of the caller."""
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
