"""Second anchor for bench_dag_parse.py: the plain-provider anchor plus a trigger form of the same size as
churn_model_promotion's (12 validated Params). Separates what Airflow's Param machinery costs per parse (schema
validation, a deep copy per task) from what our own code costs."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator
from airflow.sdk import DAG, Param

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
    dag_id="anchor_plain_provider_with_params",
    schedule="@monthly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
    tags=["bench"],
    params={
        "model_name": Param("Churn Prediction Bank", type="string", minLength=1),
        "version": Param("", type="string", pattern=r"^(\d+(,\d+)*)?$"),
        "target_stage": Param("Staging", enum=["Staging", "Production"]),
        "min_f1": Param(0.5, type="number", minimum=0, maximum=1),
        "min_roc_auc": Param(0.75, type="number", minimum=0, maximum=1),
        "max_f1_drop": Param(0.05, type="number", minimum=0, maximum=1),
        "max_slice_gap": Param(0.35, type="number", minimum=0, maximum=1),
        "max_p95_latency_ms": Param(500, type="number", exclusiveMinimum=0),
        "mode": Param("enforce", enum=["enforce", "dry_run"]),
        "require_human_approval": Param(False, type="boolean"),
        "cluster_profile": Param("local", enum=["job_cluster", "local", "serverless", "single_node"]),
        "source_table": Param("bank_churn_analysis.raw_data", type="string"),
    },
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
