"""Registry events reach a real HTTP receiver: signed, retried, never blocking the registry call, across restarts."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import PermissionDenied
from databricks.sdk.service import jobs
from databricks.sdk.service.ml import HttpUrlSpec, JobSpec, RegistryWebhookEvent, RegistryWebhookStatus
from support.waiting import wait_for
from support.webhook_receiver import WebhookReceiver

from local_workspace.launcher import start_workspace
from local_workspace.webhooks.delivery import signature
from local_workspace.webhooks.urls import DELIVERIES_PATH

SECRET = "hmac-secret-of-the-receiver"
SOURCE = "dbfs:/databricks/mlflow-tracking/0/not-a-run/artifacts/model"
E = RegistryWebhookEvent
EDITOR_TOKEN = "editor-token-without-manage"


def deliveries(ws, webhook_id: str) -> list[dict]:
    response = requests.get(
        f"{ws.url}{DELIVERIES_PATH}",
        params={"webhook_id": webhook_id},
        headers={"Authorization": f"Bearer {ws.token}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["deliveries"]


def _hook(w, receiver, model_name, events, **kwargs) -> str:
    spec = HttpUrlSpec(url=receiver.url, secret=SECRET, authorization="Bearer to-receiver")
    return w.model_registry.create_webhook(
        events=events, model_name=model_name, http_url_spec=spec, **kwargs
    ).webhook.id


@pytest.fixture(scope="module")
def w(workspace):
    return WorkspaceClient(host=workspace.url, token=workspace.token)


def test_registry_events_are_delivered_signed(w, workspace, model_name):
    w.model_registry.create_model(model_name)
    with WebhookReceiver() as receiver, WebhookReceiver() as silent:
        hook = _hook(w, receiver, model_name, [e for e in E if e != E.REGISTERED_MODEL_CREATED])
        quiet = [
            _hook(w, silent, model_name, [E.TRANSITION_REQUEST_CREATED], status=s)
            for s in (RegistryWebhookStatus.TEST_MODE, RegistryWebhookStatus.DISABLED)
        ]
        version = w.model_registry.create_model_version(model_name, SOURCE).model_version.version
        w.model_registry.set_model_version_tag(model_name, version, "validated", "yes")
        w.model_registry.create_transition_request(model_name, version, "Staging", comment="ready for testing")
        w.model_registry.create_comment(model_name, version, "looks good")
        w.model_registry.approve_transition_request(model_name, version, "Staging", archive_existing_versions=True)
        w.model_registry.create_transition_request(model_name, version, "Production")
        w.model_registry.reject_transition_request(model_name, version, "Production")  # no event for rejections
        requests.post(  # MLflow's own transition endpoint
            f"{workspace.url}/api/2.0/mlflow/model-versions/transition-stage",
            json={"name": model_name, "version": version, "stage": "Archived", "archive_existing_versions": False},
            headers={"Authorization": f"Bearer {workspace.token}"},
            timeout=30,
        ).raise_for_status()

        expected = [
            "MODEL_VERSION_CREATED",
            "MODEL_VERSION_TAG_SET",
            "TRANSITION_REQUEST_CREATED",
            "TRANSITION_REQUEST_TO_STAGING_CREATED",
            "COMMENT_CREATED",
            "MODEL_VERSION_TRANSITIONED_STAGE",
            "MODEL_VERSION_TRANSITIONED_TO_STAGING",
            "TRANSITION_REQUEST_CREATED",
            "TRANSITION_REQUEST_TO_PRODUCTION_CREATED",
            "MODEL_VERSION_TRANSITIONED_STAGE",
            "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED",
        ]
        wait_for(lambda: len(receiver.received) >= len(expected), 60, "all deliveries")
        assert sorted(receiver.events()) == sorted(expected)
        for delivered in receiver.received:
            assert delivered.headers["X-Databricks-Signature"] == signature(SECRET, delivered.body)
            assert delivered.headers["Authorization"] == "Bearer to-receiver"
            assert delivered.headers["Content-Type"] == "application/json"
        by_event = {r.json["event"]: r.json for r in receiver.received}
        request_event = by_event["TRANSITION_REQUEST_TO_STAGING_CREATED"]
        assert request_event["webhook_id"] == hook and isinstance(request_event["event_timestamp"], int)
        assert {k: request_event[k] for k in ("model_name", "version", "from_stage", "to_stage")} == {
            "model_name": model_name,
            "version": version,
            "from_stage": "None",
            "to_stage": "Staging",
        }
        assert by_event["COMMENT_CREATED"]["comment"] == "looks good"
        assert by_event["MODEL_VERSION_TAG_SET"]["tags"] == [{"key": "validated", "value": "yes"}]
        assert by_event["MODEL_VERSION_TRANSITIONED_TO_ARCHIVED"]["from_stage"] == "Staging"
        # The receiver has each body before the workspace has read its answer and recorded the outcome.
        settled = wait_for(
            lambda: (
                (ds := deliveries(workspace, hook)) and all(d["status"] in ("DELIVERED", "FAILED") for d in ds) and ds
            ),
            60,
            "every delivery's outcome recorded",
        )
        assert all(d["status"] == "DELIVERED" and d["attempts"] == 1 for d in settled)
        # TEST_MODE fires only through `test`, DISABLED never: nothing was even queued for them.
        assert [deliveries(workspace, q) for q in quiet] == [[], []] and not silent.received


def test_registry_wide_webhook_hears_new_models(w, workspace, model_name):
    with WebhookReceiver() as receiver:
        hook = _hook(w, receiver, None, [E.REGISTERED_MODEL_CREATED])
        try:
            w.model_registry.create_model(model_name)
            wait_for(lambda: receiver.events(model_name), 60, "REGISTERED_MODEL_CREATED")
            assert receiver.events(model_name) == ["REGISTERED_MODEL_CREATED"]
        finally:
            w.model_registry.delete_webhook(hook)


def test_job_webhook_calls_run_now_of_its_workspace(w, workspace, model_name):
    w.model_registry.create_model(model_name)
    with WebhookReceiver() as other_workspace:
        spec = JobSpec(job_id="42", access_token="dapi-other-workspace", workspace_url=other_workspace.url)
        hook = w.model_registry.create_webhook(
            events=[E.TRANSITION_REQUEST_TO_STAGING_CREATED], model_name=model_name, job_spec=spec
        ).webhook.id
        version = w.model_registry.create_model_version(model_name, SOURCE).model_version.version
        w.model_registry.create_transition_request(model_name, version, "Staging")
        (call,) = wait_for(lambda: other_workspace.received, 60, "run-now")
    assert call.path == "/api/2.2/jobs/run-now"
    assert call.headers["Authorization"] == "Bearer dapi-other-workspace"
    assert call.json["job_id"] == 42
    event = json.loads(call.json["notebook_params"]["event_message"])
    assert event["event"] == "TRANSITION_REQUEST_TO_STAGING_CREATED" and event["version"] == version
    # A retried delivery (its answer lost) sends the same token, so that workspace starts no second run.
    (delivery,) = deliveries(workspace, hook)
    assert call.json["idempotency_token"] == f"registry-webhook-delivery-{delivery['id']}"


@pytest.mark.notebook
def test_job_webhook_runs_a_saved_job_of_this_workspace_with_the_event(w, workspace, model_name):
    notebook = jobs.NotebookTask(notebook_path="/Workspace/tests/local_workspace/notebooks/widget_types")
    job_id = w.jobs.create(name=f"webhook {model_name}", tasks=[jobs.Task(task_key="t", notebook_task=notebook)]).job_id
    w.model_registry.create_model(model_name)
    spec = JobSpec(job_id=str(job_id), access_token=workspace.token)  # no workspace_url: this workspace
    hook = w.model_registry.create_webhook(
        events=[E.TRANSITION_REQUEST_TO_STAGING_CREATED], model_name=model_name, job_spec=spec
    ).webhook.id
    version = w.model_registry.create_model_version(model_name, SOURCE).model_version.version
    w.model_registry.create_transition_request(model_name, version, "Staging")

    (run,) = wait_for(lambda: list(w.jobs.list_runs(job_id=job_id)), 60, "the job's run")
    (done,) = wait_for(lambda: [d for d in deliveries(workspace, hook) if d["status"] == "DELIVERED"], 60, "delivered")
    assert done["last_status_code"] == 200
    finished = w.jobs.wait_get_run_job_terminated_or_skipped(run.run_id, timeout=timedelta(minutes=3))
    assert finished.state.result_state == jobs.RunResultState.SUCCESS, finished.state
    kind, message = json.loads(w.jobs.get_run_output(finished.tasks[0].run_id).notebook_output.result)["event_message"]
    event = json.loads(message)
    assert kind == "str" and event == done["payload"]
    assert event["event"] == "TRANSITION_REQUEST_TO_STAGING_CREATED" and event["model_name"] == model_name


# ---- retries and restarts: a workspace of their own, with fast retries ----------------------------------------


@pytest.fixture(scope="module")
def fast_retries(tmp_path_factory):
    env = {"LOCAL_WORKSPACE_WEBHOOK_BACKOFF_SECONDS": "0.2", "LOCAL_WORKSPACE_WEBHOOK_MAX_ATTEMPTS": "4"}
    data_dir = tmp_path_factory.mktemp("webhooks")
    users = data_dir / "users.json"
    users.write_text(json.dumps({EDITOR_TOKEN: {"user": "editor@example.com", "permission": "CAN_EDIT"}}))
    # Two workers: events are queued by either process, the one deliverer (in the serve process) sends them.
    holder = {"ws": start_workspace(data_dir, extra_env=env, users_file=users, workers=2, timeout=300)}
    try:
        yield holder
    finally:
        holder["ws"].stop()


def _client(ws):
    return WorkspaceClient(host=ws.url, token=ws.token)


def _request_staging(ws, model_name, receiver) -> tuple[str, float]:
    """A webhook on TRANSITION_REQUEST_TO_STAGING_CREATED, then the request; returns (webhook id, seconds taken)."""
    client = _client(ws)
    client.model_registry.create_model(model_name)
    version = client.model_registry.create_model_version(model_name, SOURCE).model_version.version
    hook = _hook(client, receiver, model_name, [E.TRANSITION_REQUEST_TO_STAGING_CREATED])
    started = time.monotonic()
    client.model_registry.create_transition_request(model_name, version, "Staging")
    return hook, time.monotonic() - started


@pytest.mark.slow  # a workspace of its own (two workers, fast retries, a restart)
def test_only_managers_manage_webhooks(fast_retries, model_name):
    ws = fast_retries["ws"]
    _client(ws).model_registry.create_model(model_name)
    editor = WorkspaceClient(host=ws.url, token=EDITOR_TOKEN)
    with pytest.raises(PermissionDenied, match="CAN_MANAGE"):
        editor.model_registry.create_webhook(
            events=[E.COMMENT_CREATED], model_name=model_name, http_url_spec=HttpUrlSpec(url="http://127.0.0.1:9/")
        )
    with pytest.raises(PermissionDenied):
        list(editor.model_registry.list_webhooks())


@pytest.mark.slow  # a workspace of its own (two workers, fast retries, a restart)
def test_failed_deliveries_are_retried_then_succeed(fast_retries, model_name):
    ws = fast_retries["ws"]
    with WebhookReceiver(statuses=[500, 503]) as receiver:
        hook, _ = _request_staging(ws, model_name, receiver)
        (done,) = wait_for(lambda: [d for d in deliveries(ws, hook) if d["status"] == "DELIVERED"], 60, "delivered")
    assert done["attempts"] == 3 and done["last_status_code"] == 200 and "last_error" not in done
    assert len({r.body for r in receiver.received}) == 1 and len(receiver.received) == 3  # the same signed body


@pytest.mark.slow  # a workspace of its own (two workers, fast retries, a restart)
def test_a_delivery_that_keeps_failing_ends_failed(fast_retries, model_name):
    ws = fast_retries["ws"]
    with WebhookReceiver(statuses=[500] * 10) as receiver:
        hook, _ = _request_staging(ws, model_name, receiver)
        (failed,) = wait_for(lambda: [d for d in deliveries(ws, hook) if d["status"] == "FAILED"], 60, "failed")
    assert failed["attempts"] == 4 and failed["last_status_code"] == 500
    assert failed["last_error"].startswith("HTTP 500") and len(receiver.received) == 4


@pytest.mark.slow  # a workspace of its own (two workers, fast retries, a restart)
def test_hanging_receiver_neither_blocks_the_registry_nor_loses_the_event_across_a_restart(fast_retries, model_name):
    ws = fast_retries["ws"]
    with WebhookReceiver(hold=1) as receiver:  # the first request hangs
        hook, seconds = _request_staging(ws, model_name, receiver)
        assert seconds < 5  # the registry call never waits for the receiver
        wait_for(lambda: receiver.received, 60, "the first attempt to reach the receiver")
        assert [d["status"] for d in deliveries(ws, hook)] == ["DELIVERING"]
        ws = fast_retries["ws"] = ws.restart()  # stopped mid-delivery
        (done,) = wait_for(lambda: [d for d in deliveries(ws, hook) if d["status"] == "DELIVERED"], 60, "resumed")
    assert done["attempts"] == 2 and len(receiver.received) == 2
