"""Registry webhooks CRUD and test with the unmodified databricks-sdk against a started local workspace."""

from __future__ import annotations

import json

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound
from databricks.sdk.service.ml import (
    HttpUrlSpec,
    JobSpec,
    RegistryWebhookEvent,
    RegistryWebhookStatus,
)
from support.webhook_receiver import WebhookReceiver

from local_workspace.webhooks.delivery import signature

SECRET = "s3cret-for-hmac-only"
AUTHORIZATION = "Bearer receiver-token-123"
Event = RegistryWebhookEvent


@pytest.fixture(scope="module")
def w(workspace):
    return WorkspaceClient(host=workspace.url, token=workspace.token)


@pytest.fixture()
def receiver():
    with WebhookReceiver() as r:
        yield r


def _api(workspace, method, path, **kwargs):
    return requests.request(
        method,
        f"{workspace.url}/api/2.0/mlflow/{path}",
        headers={"Authorization": f"Bearer {workspace.token}"},
        **kwargs,
    )


def test_create_list_update_test_delete_with_the_sdk(w, workspace, model_name, receiver):
    w.model_registry.create_model(model_name)
    spec = HttpUrlSpec(url=receiver.url, secret=SECRET, authorization=AUTHORIZATION, enable_ssl_verification=False)
    created = w.model_registry.create_webhook(
        events=[Event.TRANSITION_REQUEST_TO_STAGING_CREATED, Event.COMMENT_CREATED],
        model_name=model_name,
        description="to Airflow",
        http_url_spec=spec,
        status=RegistryWebhookStatus.TEST_MODE,
    ).webhook
    assert created.id and created.model_name == model_name and created.description == "to Airflow"
    assert created.status == RegistryWebhookStatus.TEST_MODE
    assert created.http_url_spec.url == receiver.url and created.http_url_spec.enable_ssl_verification is False
    assert created.events == [Event.TRANSITION_REQUEST_TO_STAGING_CREATED, Event.COMMENT_CREATED]
    assert created.creation_timestamp == created.last_updated_timestamp > 0

    listed = list(w.model_registry.list_webhooks(model_name=model_name))
    assert [h.id for h in listed] == [created.id]
    assert [h.id for h in w.model_registry.list_webhooks(model_name=model_name, events=[Event.COMMENT_CREATED])] == [
        created.id
    ]
    assert not list(w.model_registry.list_webhooks(model_name=model_name, events=[Event.MODEL_VERSION_CREATED]))
    raw = _api(workspace, "GET", "registry-webhooks/list", params={"model_name": model_name}).text
    assert SECRET not in raw and AUTHORIZATION not in raw  # secrets are write-only

    answer = w.model_registry.test_registry_webhook(created.id, event=Event.COMMENT_CREATED)
    assert answer.status_code == 200 and json.loads(answer.body) == {"received": True}
    (delivered,) = receiver.received
    assert delivered.headers["X-Databricks-Signature"] == signature(SECRET, delivered.body)
    assert delivered.headers["Authorization"] == AUTHORIZATION
    assert delivered.json["event"] == "COMMENT_CREATED" and delivered.json["webhook_id"] == created.id
    assert delivered.json["model_name"] == model_name and delivered.json["text"] == "Registry webhook test"

    w.model_registry.update_webhook(created.id, status=RegistryWebhookStatus.ACTIVE, description="changed")
    (updated,) = w.model_registry.list_webhooks(model_name=model_name)
    assert updated.status == RegistryWebhookStatus.ACTIVE and updated.description == "changed"
    assert updated.http_url_spec.url == receiver.url  # fields not given are kept

    w.model_registry.delete_webhook(created.id)
    assert not list(w.model_registry.list_webhooks(model_name=model_name))
    with pytest.raises(NotFound):
        w.model_registry.delete_webhook(created.id)
    with pytest.raises(NotFound):
        w.model_registry.test_registry_webhook(created.id)


def test_job_webhook_hides_its_token(w, model_name):
    w.model_registry.create_model(model_name)
    spec = JobSpec(job_id="42", access_token="dapi-job-token", workspace_url="https://other.example.com")
    created = w.model_registry.create_webhook(
        events=[Event.MODEL_VERSION_CREATED], model_name=model_name, job_spec=spec
    )
    assert created.webhook.job_spec.as_dict() == {"job_id": "42", "workspace_url": "https://other.example.com"}
    w.model_registry.delete_webhook(created.webhook.id)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"events": ["NOT_AN_EVENT"], "http_url_spec": {"url": "http://x.example"}}, "events[0]"),
        ({"events": [], "http_url_spec": {"url": "http://x.example"}}, "events"),
        ({"events": ["COMMENT_CREATED"]}, "http_url_spec"),
        ({"events": ["COMMENT_CREATED"], "http_url_spec": {"url": "ftp://x"}}, "http_url_spec.url"),
        ({"events": ["COMMENT_CREATED"], "job_spec": {"job_id": "x", "access_token": "t"}}, "job_spec.job_id"),
        ({"events": ["COMMENT_CREATED"], "status": "ON", "http_url_spec": {"url": "http://x.example"}}, "status"),
        (
            {
                "events": ["COMMENT_CREATED"],
                "http_url_spec": {"url": "http://x.example"},
                "job_spec": {"job_id": "1", "access_token": "t"},
            },
            "Only one of",
        ),
    ],
)
def test_invalid_webhooks_are_refused_naming_the_field(workspace, body, message):
    response = _api(workspace, "POST", "registry-webhooks/create", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert message in response.json()["message"]


def test_registered_model_created_is_registry_wide_only(w, model_name):
    w.model_registry.create_model(model_name)
    spec = HttpUrlSpec(url="http://127.0.0.1:9/hook")
    with pytest.raises(InvalidParameterValue, match="registry-wide"):
        w.model_registry.create_webhook(
            events=[Event.REGISTERED_MODEL_CREATED], model_name=model_name, http_url_spec=spec
        )
    with pytest.raises(NotFound):
        w.model_registry.create_webhook(
            events=[Event.MODEL_VERSION_CREATED], model_name=model_name + " missing", http_url_spec=spec
        )
    with pytest.raises(NotFound):
        w.model_registry.update_webhook("0" * 32, status=RegistryWebhookStatus.DISABLED)
