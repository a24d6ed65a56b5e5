"""The Asset that links the two DAGs: "a model version was put up for testing" (a transition request in the
workspace registry, a version tagged validation_status=PENDING in Unity Catalog)."""

from __future__ import annotations

from airflow.sdk import Asset

# The retraining DAG emits an event (extra: model_name, version, registry, to_stage) after creating a transition
# request (workspace registry) or registering a PENDING version (Unity Catalog); the promotion DAG runs on it, in
# the event's registry. Requests made by people in Databricks emit nothing: the promotion DAG's time schedule
# catches those. The Asset keeps its name (existing deployments' asset history).
TRANSITION_REQUESTS = Asset(
    name="churn_model_transition_requests",
    uri="databricks-registry://workspace/transition-requests/churn-model",
    group="ml-models",
)
