"""Second anchor for bench_dag_parse.py: the plain-provider anchor plus a trigger form of the same size as
churn_model_promotion's (12 validated Params). Separates what Airflow's Param machinery costs per parse (schema
validation, a deep copy per task) from what our own code costs."""

from __future__ import annotations

from airflow.sdk import DAG, Param
from plain_notebook_tasks import DAG_SETTINGS, prepare_train_evaluate

with DAG(
    dag_id="anchor_plain_provider_with_params",
    **DAG_SETTINGS,
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
    prepare_train_evaluate()
