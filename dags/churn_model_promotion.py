"""
### Churn model promotion

Tests every model version waiting for a stage transition and decides its request in the registry.

Runs when the retraining DAG publishes a transition request (Asset `churn_model_transition_requests`), every hour
(to catch requests people make in the Databricks UI), and on manual trigger with params.

1. `wait_for_transition_requests` (deferrable) lists the open requests to `target_stage` of the model.
   Nothing pending within 2 minutes → the run is skipped, nothing changes (the next hourly run looks again).
2. For **each** request (dynamic task mapping, group `candidate`):
   `run_tests` submits `include/notebooks/test_candidate_model` with the webhook-shaped `event_message` and the
   thresholds; `read_test_result` validates its exit JSON (`passed, checks, report_markdown, ...`);
   `human_review` asks a person in the Airflow UI (Required Actions), showing the report, only when
   `require_human_approval` is on (otherwise it returns at once);
   `decide` approves (archiving the version previously in the stage) or rejects, posting the report as the
   registry comment. It never approves a candidate whose tests did not pass. Decisions run one at a time in
   request order, so when several candidates pass, the most recent request ends in the stage.

Failures are reported by the failure notifier (log by default; `CHURN_FAILURE_NOTIFIER` for Slack/e-mail).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param, task, task_group

from churn_pipeline.approval import ReviewOperator
from churn_pipeline.assets import TRANSITION_REQUESTS, requested_model_name
from churn_pipeline.config import load_config
from churn_pipeline.notebook_run import NotebookRunOperator
from churn_pipeline.params import (
    candidate_test_parameters,
    candidate_test_params,
    cluster_profile_param,
    model_name_param,
    target_stage_param,
)
from churn_pipeline.schedules import promotion_schedule
from churn_pipeline.wiring import DATABRICKS_CONN_ID, dag_defaults, xcom
from databricks_registry.operators import TransitionRequestDecisionOperator
from databricks_registry.sensors import TransitionRequestSensor

WAIT_FOR_REQUESTS_SECONDS = 120
JOBS = load_config()

with DAG(
    dag_id="churn_model_promotion",
    description="Test pending churn model versions on Databricks and approve or reject their transition requests",
    schedule=promotion_schedule(TRANSITION_REQUESTS),
    dagrun_timeout=timedelta(hours=3),
    **dag_defaults(retry_delay=timedelta(minutes=1)),
    params={
        "model_name": model_name_param("Registered model to look at (an Asset-triggered run uses the event's model)"),
        # Optional: null (not "") so the trigger form does not treat the empty field as a missing value.
        "version": Param(
            None,
            type=["null", "string"],
            pattern=r"^(\d+(,\d+)*)?$",
            description="Only these versions, e.g. 3 or 3,4. Leave empty for every version with an open request",
        ),
        "target_stage": target_stage_param("Stage the requests ask for"),
        # min_f1, min_roc_auc, max_f1_drop, max_slice_gap, max_p95_latency_ms, mode (churn_contract.options)
        **candidate_test_params(),
        "require_human_approval": Param(
            False,
            type="boolean",
            description="Ask a person in Airflow's Required Actions before approving a candidate that passed",
        ),
        "cluster_profile": cluster_profile_param(JOBS),
    },
    user_defined_macros={"requested_model_name": requested_model_name},
    tags=["churn", "databricks", "mlflow", "promotion"],
    doc_md=__doc__,
) as dag:
    pending = TransitionRequestSensor(
        task_id="wait_for_transition_requests",
        model_name="{{ requested_model_name(params, triggering_asset_events) }}",
        to_stage="{{ params.target_stage }}",
        versions="{{ params.version }}",
        databricks_conn_id=DATABRICKS_CONN_ID,
        deferrable=True,
        poke_interval=JOBS.profile().polling_period_seconds,
        # A short look: requests filed before the run are found at once; later ones by the next hourly run.
        timeout=WAIT_FOR_REQUESTS_SECONDS,
        soft_fail=True,
    )

    @task
    def select_requests(events, params=None) -> list:
        from churn_pipeline.steps import select_requests

        return select_requests(events, params["version"])

    @task
    def read_test_result(databricks_run_id) -> dict:
        from churn_pipeline.steps import collect_test_result

        return collect_test_result(databricks_run_id, DATABRICKS_CONN_ID)

    @task_group(group_id="candidate")
    def test_and_decide(request):
        tests = NotebookRunOperator(
            task_id="run_tests",
            notebook="test_candidate_model",
            base_parameters={"event_message": request, **candidate_test_parameters()},
            cluster_profile="{{ params.cluster_profile }}",
            databricks_conn_id=DATABRICKS_CONN_ID,
        )
        result = read_test_result(xcom(tests.output, "run_id"))
        review = ReviewOperator(
            task_id="human_review",
            subject="Promote this churn model version?",
            body="{{ ti.xcom_pull(task_ids='candidate.read_test_result', map_indexes=ti.map_index)"
            "['report_markdown'] }}",
            required_param="require_human_approval",
            response_timeout=timedelta(days=2),
        )
        decide = TransitionRequestDecisionOperator(
            task_id="decide",
            request=request,
            test_result=result,
            approval=review.output,
            mode="{{ params.mode }}",
            test_run_page_url=xcom(tests.output, "run_page_url"),
            archive_existing_versions=True,
            on_conflict="skip",
            databricks_conn_id=DATABRICKS_CONN_ID,
            # Approving archives the version in the stage: one decision at a time, in request order (map index),
            # so with several passing candidates the latest request ends in the stage, never a race's winner.
            max_active_tis_per_dagrun=1,
        )
        result >> review >> decide

    test_and_decide.expand(request=select_requests(pending.output))
