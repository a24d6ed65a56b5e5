"""The receiver as Airflow serves it: the plugin mounts it in the API server's app, where it answers Databricks
without an Airflow login (the signature is its auth) while Airflow's own API still demands one; and two workers
receiving the same delivery at once emit it once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from receiver_support import payload, signed


@pytest.mark.slow  # builds Airflow's whole API app (~30 s on a loaded machine)
def test_the_plugin_mounts_the_receiver_without_an_airflow_login(asset_uri, asset_events, monkeypatch):
    from airflow.api_fastapi.app import create_app, purge_cached_app
    from fastapi.testclient import TestClient
    from receiver_support import receiver_connection

    monkeypatch.setenv(
        "AIRFLOW_CONN_DATABRICKS_REGISTRY_WEBHOOK", receiver_connection(["Churn Receiver Test"], asset_uri)
    )
    try:
        client = TestClient(create_app())
        raw, headers = signed(payload("Churn Receiver Test"))
        answer = client.post("/databricks-webhooks/registry", content=raw, headers=headers)
        unsigned = client.post("/databricks-webhooks/registry", content=raw)
        airflow_api = client.post("/api/v2/assets/events", json={"asset_id": 1})
    finally:
        purge_cached_app()
    assert (answer.status_code, answer.json()["status"]) == (200, "emitted")
    assert unsigned.status_code == 401
    assert airflow_api.status_code == 401  # Airflow's own route: the auth manager still guards it
    assert len(asset_events()) == 1


def test_the_same_delivery_on_parallel_workers_emits_once(receiver, asset_events):
    raw, headers = signed(payload("Churn Receiver Test"))
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: receiver.post("/registry", content=raw, headers=headers), range(4)))
    assert sorted(a.json()["status"] for a in answers) == ["duplicate"] * 3 + ["emitted"]
    assert len(asset_events()) == 1
