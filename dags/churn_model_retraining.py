"""
### Churn model retraining

Monthly, retrains the churn model on Databricks and puts the new version up for testing: a transition request to
**Staging** in the Workspace Model Registry, or, with `registry` = `uc`, a Unity Catalog version tagged
`validation_status=PENDING` (param `registry`, default from env `CHURN_REGISTRY`).

1. `retrain_model` submits `include/notebooks/retrain_churn_model` as a one-task Databricks run (AutoML on an ML
   runtime, FLAML elsewhere) on the compute of the chosen `cluster_profile` (`include/config/databricks_jobs.yaml`).
   It trains on the data available for the run's data interval (widget `as_of` = the interval's end: the months
   that began before it) and records the table, Delta version and `as_of` on the training run.
2. `read_training_result` reads the notebook's exit JSON from the task run and validates it
   (`model_name, version, run_id, metrics, n_rows, automl_backend, registry`).
3. `request_transition` creates the registry transition request with a comment (metrics, run link); workspace
   registry only (Unity Catalog has no requests: the notebook's PENDING tag marks the candidate).
4. `publish_request` emits the `churn_model_transition_requests` Asset event (model_name, version, registry):
   `churn_model_promotion` runs on it.

Params set the model, the source table, the AutoML metric and budget, the target stage and the compute profile.
A retry submits a fresh Databricks run (the idempotency token includes the try number), while a worker crash
mid-run reconnects to the running one (the provider's durable mode).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param, task

from churn_pipeline.assets import TRANSITION_REQUESTS
from churn_pipeline.config import load_config
from churn_pipeline.notebook_run import NotebookRunOperator
from churn_pipeline.params import (
    cluster_profile_param,
    primary_metric_param,
    source_table_param,
    target_col_param,
    target_stage_param,
)
from churn_pipeline.registry_mode import MACROS, model_name_param, registry_param
from churn_pipeline.registry_steps import WorkspaceTransitionRequest
from churn_pipeline.schedules import retraining_schedule
from churn_pipeline.wiring import DATABRICKS_CONN_ID, dag_defaults, xcom

JOBS = load_config()

with DAG(
    dag_id="churn_model_retraining",
    description="Retrain the churn model on Databricks and put the new version up for testing (Staging or UC)",
    schedule=retraining_schedule(),
    dagrun_timeout=timedelta(hours=4),
    **dag_defaults(retry_delay=timedelta(minutes=2)),
    params={
        "registry": registry_param(),
        "model_name": model_name_param("Registered model to train a new version of"),
        "source_table": source_table_param(),
        "target_col": target_col_param(),
        "primary_metric": primary_metric_param(),
        "timeout_minutes": Param(
            JOBS.profile().automl_timeout_minutes,
            type="number",
            exclusiveMinimum=0,
            description="AutoML time budget in minutes (Databricks AutoML needs at least 5)",
        ),
        "target_stage": target_stage_param("Workspace registry: stage the new version is put up for"),
        "cluster_profile": cluster_profile_param(JOBS),
    },
    user_defined_macros=MACROS,
    tags=["churn", "databricks", "mlflow", "retraining"],
    doc_md=__doc__,
) as dag:
    retrain = NotebookRunOperator(
        task_id="retrain_model",
        notebook="retrain_churn_model",
        base_parameters={
            "model_name": "{{ requested_model_name(params) }}",
            "source_table": "{{ params.source_table }}",
            "target_col": "{{ params.target_col }}",
            "primary_metric": "{{ params.primary_metric }}",
            "timeout_minutes": "{{ params.timeout_minutes }}",
            "registry": "{{ requested_registry(params) }}",
            "registry_uri": "databricks",
            # Train on the data available for this run's interval: the months that began before its end.
            "as_of": "{{ data_interval_end | ds if data_interval_end else '' }}",
        },
        cluster_profile="{{ params.cluster_profile }}",
        databricks_conn_id=DATABRICKS_CONN_ID,
    )

    @task(multiple_outputs=True)
    def read_training_result(databricks_run_id, run_page_url, params=None) -> dict:
        from churn_pipeline.registry_mode import run_target
        from churn_pipeline.steps import collect_training_result

        return collect_training_result(databricks_run_id, run_page_url, run_target(params), DATABRICKS_CONN_ID)

    result = read_training_result(xcom(retrain.output, "run_id"), xcom(retrain.output, "run_page_url"))

    request = WorkspaceTransitionRequest(
        task_id="request_transition",
        model_name=xcom(result, "model_name"),
        version=xcom(result, "version"),
        stage="{{ params.target_stage }}",
        comment=xcom(result, "comment"),
        databricks_conn_id=DATABRICKS_CONN_ID,
    )

    # After the transition request, or its skip in Unity Catalog runs (the version's PENDING tag is the request).
    @task(outlets=[TRANSITION_REQUESTS], trigger_rule="none_failed")
    def publish_request(model_name, version, registry, params=None, outlet_events=None) -> None:
        outlet_events[TRANSITION_REQUESTS].extra = {
            "model_name": model_name,
            "version": str(version),
            "registry": registry,
            "to_stage": params["target_stage"] if registry == "workspace" else None,
        }

    request >> publish_request(xcom(result, "model_name"), xcom(result, "version"), xcom(result, "registry"))
