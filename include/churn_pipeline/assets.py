"""The Asset that links the two DAGs: "a model version was put up for a stage transition"."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Asset

# The retraining DAG emits an event (extra: model_name, version, to_stage) after creating a transition request;
# the promotion DAG runs on it. Requests made by people in the Databricks UI emit nothing: the promotion DAG's
# time schedule catches those.
TRANSITION_REQUESTS = Asset(
    name="churn_model_transition_requests",
    uri="databricks-registry://workspace/transition-requests/churn-model",
    group="ml-models",
)


def requested_model_name(params: Any, triggering_asset_events: Any = None) -> str:
    """Model to look at in this promotion run: the one named by the newest triggering asset event, else the
    `model_name` param (manual and scheduled runs)."""
    newest = None
    for events in (triggering_asset_events or {}).values():
        for event in events:
            name = (getattr(event, "extra", None) or {}).get("model_name")
            stamp = getattr(event, "timestamp", None)
            if name and (newest is None or (stamp and newest[0] and stamp > newest[0])):
                newest = (stamp, name)
    return newest[1] if newest else str(params["model_name"])
