"""
### Churn model promotion

Tests every candidate model version and records the decision in the registry, in either registry mode (param
`registry`: `workspace` = Workspace Model Registry, `uc` = Unity Catalog; default from env `CHURN_REGISTRY`).

Runs when the retraining DAG publishes a candidate (Asset `churn_model_transition_requests`; the run follows the
event's registry and model), every hour (to catch candidates people register in Databricks), and on manual trigger.

1. Find the candidates (deferrable; nothing within 2 minutes: the run is skipped, nothing changes):
   `wait_for_transition_requests` lists the open requests to `target_stage` (workspace registry);
   `wait_for_pending_validation` lists the versions tagged `validation_status=PENDING` (Unity Catalog).
   The step of the other registry skips itself.
2. For **each** candidate (dynamic task mapping, group `candidate`), shared by both modes:
   `run_tests` submits `include/notebooks/test_candidate_model` with the event as `event_message` and the
   thresholds (it compares with the version in the stage, or with `@champion`); `read_test_result` validates its
   exit JSON; `human_review` asks a person in Airflow's Required Actions, showing the report, only when
   `require_human_approval` is on (in Unity Catalog: and `approval_channel` is `airflow`).
3. The decision, per registry:
   workspace: `decide` approves (archiving the version previously in the stage) or rejects the request, with the
   report as the registry comment;
   Unity Catalog: `record_validation` tags the version `validation_status=PASSED|FAILED` and `check_<name>`, puts the
   report in its description and, if it passed, moves the alias `challenger` to it; `wait_for_approval_tag` waits
   for a person to set the tag `approval=Approved|Rejected` on it in Databricks (`approval_channel=databricks_tag`);
   `promote` moves the alias `champion` to an approved version and tags the one it replaces.
   A failing candidate is never approved or promoted. Decisions run one at a time in candidate order, so when
   several pass, the newest ends in the stage or as champion. A re-run finds nothing pending and changes nothing.

Failures are reported by the failure notifier (log by default; `CHURN_FAILURE_NOTIFIER` for Slack/e-mail).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, Param, task, task_group

from churn_pipeline.assets import TRANSITION_REQUESTS
from churn_pipeline.config import load_config
from churn_pipeline.notebook_run import NotebookRunOperator
from churn_pipeline.params import (
    candidate_test_parameters,
    candidate_test_params,
    cluster_profile_param,
    target_stage_param,
)
from churn_pipeline.registry_mode import MACROS, model_name_param, registry_param
from churn_pipeline.registry_steps import APPROVAL_CHANNELS, CandidateReview, WorkspaceDecision, WorkspaceRequestSensor
from churn_pipeline.schedules import promotion_schedule
from churn_pipeline.unity_catalog_steps import (
    UcApprovalTagWait,
    UcPendingVersionSensor,
    UcPromotion,
    UcRecordValidation,
)
from churn_pipeline.wiring import DATABRICKS_CONN_ID, dag_defaults, xcom

WAIT_FOR_REQUESTS_SECONDS = 120
RUN_MODEL = "{{ requested_model_name(params, triggering_asset_events) }}"
# This mapped group instance's candidate (the group's map index is its index in `select_candidates`' list).
CANDIDATE_MODEL = "{{ ti.xcom_pull(task_ids='select_candidates')[ti.map_index]['model_name'] }}"
CANDIDATE_VERSION = "{{ ti.xcom_pull(task_ids='select_candidates')[ti.map_index]['version'] }}"
JOBS = load_config()

with DAG(
    dag_id="churn_model_promotion",
    description="Test candidate churn model versions on Databricks and decide them (stages or Unity Catalog aliases)",
    schedule=promotion_schedule(TRANSITION_REQUESTS),
    dagrun_timeout=timedelta(hours=3),
    **dag_defaults(retry_delay=timedelta(minutes=1)),
    params={
        "registry": registry_param(),
        "model_name": model_name_param("Registered model to look at (an Asset-triggered run uses the event's model)"),
        # Optional: null (not "") so the trigger form does not treat the empty field as a missing value.
        "version": Param(
            None,
            type=["null", "string"],
            pattern=r"^(\d+(,\d+)*)?$",
            description="Only these versions, e.g. 3 or 3,4. Leave empty for every pending version",
        ),
        "target_stage": target_stage_param("Workspace registry: stage the requests ask for"),
        # min_f1, min_roc_auc, max_f1_drop, max_slice_gap, max_p95_latency_ms, mode (churn_contract.options)
        **candidate_test_params(),
        "require_human_approval": Param(
            False,
            type="boolean",
            description="Ask a person before approving a candidate that passed",
        ),
        "approval_channel": Param(
            "airflow",
            enum=list(APPROVAL_CHANNELS),
            description=(
                "Unity Catalog: where the person approves. airflow = Required Actions in Airflow; databricks_tag = "
                "the tag approval=Approved (or Rejected) on the version in Databricks, the deployment-job convention"
            ),
        ),
        "cluster_profile": cluster_profile_param(JOBS),
    },
    user_defined_macros=MACROS,
    tags=["churn", "databricks", "mlflow", "promotion"],
    doc_md=__doc__,
) as dag:
    sensor_settings: dict[str, Any] = {
        "versions": "{{ params.version }}",
        "databricks_conn_id": DATABRICKS_CONN_ID,
        "deferrable": True,
        "poke_interval": JOBS.profile().polling_period_seconds,
        # A short look: candidates registered before the run are found at once; later ones by the next hourly run.
        "timeout": WAIT_FOR_REQUESTS_SECONDS,
        "soft_fail": True,
    }
    requests = WorkspaceRequestSensor(
        task_id="wait_for_transition_requests",
        model_name=RUN_MODEL,
        to_stage="{{ params.target_stage }}",
        **sensor_settings,
    )
    pending_versions = UcPendingVersionSensor(
        task_id="wait_for_pending_validation", full_name=RUN_MODEL, **sensor_settings
    )

    # Runs when the sensor of the run's registry found candidates (the other one skipped itself).
    @task(trigger_rule="none_failed_min_one_success")
    def select_candidates(transition_requests, pending_validation, params=None) -> list:
        from churn_pipeline.steps import select_requests

        return select_requests([*(transition_requests or []), *(pending_validation or [])], params["version"])

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
        validation = UcRecordValidation(
            task_id="record_validation",
            model_name=CANDIDATE_MODEL,
            version=CANDIDATE_VERSION,
            test_result=result,
            mode="{{ params.mode }}",
            test_run_page_url=xcom(tests.output, "run_page_url"),
            databricks_conn_id=DATABRICKS_CONN_ID,
        )
        review = CandidateReview(
            task_id="human_review",
            subject="Promote this churn model version?",
            body="{{ ti.xcom_pull(task_ids='candidate.read_test_result', map_indexes=ti.map_index)"
            "['report_markdown'] }}",
            response_timeout=timedelta(days=2),
            validation=validation.output,
            trigger_rule="none_failed",  # after the validation record, or its skip in workspace-registry runs
        )
        approval_tag = UcApprovalTagWait(
            task_id="wait_for_approval_tag",
            full_name=CANDIDATE_MODEL,
            version=CANDIDATE_VERSION,
            validation=validation.output,
            databricks_conn_id=DATABRICKS_CONN_ID,
            deferrable=True,
            poke_interval=JOBS.profile().polling_period_seconds,
            timeout=timedelta(days=2).total_seconds(),
        )
        decide = WorkspaceDecision(
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
        promote = UcPromotion(
            task_id="promote",
            model_name=CANDIDATE_MODEL,
            version=CANDIDATE_VERSION,
            validation=validation.output,
            approval=review.output,
            test_run_page_url=xcom(tests.output, "run_page_url"),
            databricks_conn_id=DATABRICKS_CONN_ID,
            trigger_rule="none_failed",  # the approval-tag wait skips itself unless asked for
            max_active_tis_per_dagrun=1,  # `champion` moves one candidate at a time, in candidate order
        )
        result >> validation >> [review, approval_tag]
        review >> decide
        [review, approval_tag] >> promote

    test_and_decide.expand(request=select_candidates(requests.output, pending_versions.output))
