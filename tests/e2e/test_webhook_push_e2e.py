"""The push flow under a real Airflow (`make airflow-push`: API server with the receiver, scheduler, DAG processor,
triggerer; hourly schedule off): a transition request filed by hand with the databricks-sdk → the workspace's
signed webhook delivery → the receiver's asset event → an asset-triggered promotion run → its decision.
Bad deliveries are covered against the receiver app itself (tests/webhook_receiver); here, one wrong signature on
the live API server proves the mounted route refuses it and starts nothing."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest
from support.push_flow import (
    MODEL,
    PROMOTION,
    RUN_TIMEOUT,
    push_stack,
    register_copy,
    request_and_time_test_run,
    sdk,
    train_first_version,
    wait_promotions_idle,
)

pytestmark = [pytest.mark.e2e, pytest.mark.notebook, pytest.mark.timeout(3600)]
RECEIVER = "/databricks-webhooks/registry"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with push_stack(tmp_path_factory.mktemp("airflow-push")) as started:
        yield started


def test_a_hand_made_request_starts_the_promotion_through_the_webhook(stack):
    client = sdk(stack)
    trained = train_first_version(stack)
    before = {run["dag_run_id"] for run in wait_promotions_idle(stack)}
    candidate = register_copy(client, trained)

    seconds = request_and_time_test_run(client, candidate)

    [run] = [r for r in stack.runs(PROMOTION) if r["dag_run_id"] not in before]
    assert run["run_type"] == "asset_triggered"
    events = stack.api(f"/api/v2/dags/{PROMOTION}/dagRuns/{quote(run['dag_run_id'], safe='')}/upstreamAssetEvents")
    # The webhook's one event; the retraining's own asset event for v1 may reach the same run late (closing note).
    extras = [e["extra"] for e in events["asset_events"] if e["extra"].get("source") == "databricks-registry-webhook"]
    assert [(e["source"], e["model_name"], e["version"], e["to_stage"]) for e in extras] == [
        ("databricks-registry-webhook", MODEL, candidate, "Staging")
    ]
    assert stack.wait_run(PROMOTION, run["dag_run_id"], RUN_TIMEOUT)["state"] == "success"
    decision = stack.xcom(PROMOTION, run["dag_run_id"], "candidate.decide", map_index=0)
    assert (decision["version"], decision["decision"]) == (candidate, "approved"), decision
    assert client.model_registry.get_model_version(MODEL, candidate).model_version.current_stage == "Staging"
    assert seconds < 60, f"test run submitted {seconds:.1f}s after the request"


def test_a_delivery_with_a_wrong_signature_is_refused_by_the_live_receiver(stack):
    runs_before = len(stack.runs(PROMOTION))
    body = {"event": "TRANSITION_REQUEST_TO_STAGING_CREATED", "webhook_id": "x", "event_timestamp": 1}
    request = urllib.request.Request(
        stack.url + RECEIVER,
        data=json.dumps({**body, "model_name": MODEL, "version": "1"}).encode(),
        headers={"Content-Type": "application/json", "X-Databricks-Signature": "0" * 64},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    assert len(stack.runs(PROMOTION)) == runs_before
