"""Registering the webhook on the local workspace (idempotent), and the push path over real HTTP: a transition
request filed with the unmodified databricks-sdk → the workspace's signed delivery → the receiver → one asset event.
The receiver is the plugin's app served by uvicorn; the full Airflow stack is tests/e2e/test_webhook_push_e2e.py."""

from __future__ import annotations

import json

import pytest
from databricks.sdk import WorkspaceClient
from receiver_support import SECRET, receiver_connection
from support.waiting import wait_for

from databricks_registry.webhook_receiver.register import main as register_main
from databricks_registry.webhook_receiver.registration import register_webhooks


@pytest.fixture()
def client(databricks_env):
    return WorkspaceClient(host=databricks_env.url, token=databricks_env.token)


@pytest.fixture()
def version(client, model_name):
    """`model_name` with one (artifact-less) version; returns the version."""
    client.model_registry.create_model(model_name)
    return client.model_registry.create_model_version(model_name, "dbfs:/models/dummy").model_version.version


def _our_webhooks(client, model_name, url):
    return [w for w in client.model_registry.list_webhooks(model_name=model_name) if w.http_url_spec.url == url]


def test_registering_twice_creates_then_updates_one_webhook(databricks_env, client, version, model_name):
    from databricks_registry.hooks import ModelRegistryHook

    url = "http://airflow.internal:8080/databricks-webhooks/registry"
    first = register_webhooks(ModelRegistryHook(), url, SECRET, [model_name])
    second = register_webhooks(ModelRegistryHook(), url, "rotated", [model_name], status="TEST_MODE")

    assert [r.action for r in first + second] == ["created", "updated"]
    assert first[0].webhook_id == second[0].webhook_id
    [webhook] = _our_webhooks(client, model_name, url)
    assert [e.value for e in webhook.events] == ["TRANSITION_REQUEST_TO_STAGING_CREATED"]
    assert webhook.status.value == "TEST_MODE"


def test_the_command_reads_secret_models_and_url_from_the_receiver_connection(
    databricks_env, client, version, model_name, monkeypatch, capsys
):
    url = "http://airflow.internal:8080/databricks-webhooks/registry"
    conn = json.loads(receiver_connection([model_name], "unused"))
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_REGISTRY_WEBHOOK", json.dumps({**conn, "host": url}))

    assert register_main([]) == 0
    assert "created webhook" in capsys.readouterr().out
    assert len(_our_webhooks(client, model_name, url)) == 1


def test_the_command_refuses_a_connection_without_models(databricks_env, monkeypatch, capsys):
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_REGISTRY_WEBHOOK", json.dumps({"conn_type": "http", "password": "x"}))
    assert register_main(["--url", "http://x/registry"]) == 2
    assert "models" in capsys.readouterr().err


def test_a_request_filed_with_the_sdk_reaches_the_receiver_as_one_asset_event(
    databricks_env, client, version, model_name, served_receiver, asset_uri, asset_events, monkeypatch
):
    from databricks_registry.hooks import ModelRegistryHook

    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_REGISTRY_WEBHOOK", receiver_connection([model_name], asset_uri))
    register_webhooks(ModelRegistryHook(), served_receiver, SECRET, [model_name])

    client.model_registry.create_transition_request(model_name, version, "Staging", comment="push me")

    events = wait_for(asset_events, timeout=60, what="the asset event from the webhook")
    assert [(e["model_name"], e["version"], e["to_stage"]) for e in events] == [(model_name, version, "Staging")]


def test_a_model_that_does_not_exist_yet_is_an_error_unless_asked_to_create_it(databricks_env, client, model_name):
    from databricks_registry.errors import RegistryResourceNotFound
    from databricks_registry.hooks import ModelRegistryHook

    url = "http://airflow.internal:8080/databricks-webhooks/registry"
    with pytest.raises(RegistryResourceNotFound, match="does not exist yet"):
        register_webhooks(ModelRegistryHook(), url, SECRET, [model_name])
    [done] = register_webhooks(ModelRegistryHook(), url, SECRET, [model_name], create_missing_models=True)
    assert done.action == "created"
    assert len(_our_webhooks(client, model_name, url)) == 1
