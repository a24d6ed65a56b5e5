"""Receiver tests: the webhook receiver app on the session's Airflow DB, with an asset of the test's own."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from receiver_support import receiver_connection
from support.waiting import wait_for


@pytest.fixture()
def asset_uri(airflow_db):
    """A fresh asset in Airflow's DB (what parsing a DAG scheduled on it would create)."""
    from airflow.models.asset import AssetActive, AssetModel
    from airflow.utils.session import create_session

    uri = f"databricks-registry://workspace/transition-requests/test-{os.urandom(4).hex()}"
    with create_session() as session:
        session.add(AssetModel(name=uri, uri=uri))
        session.add(AssetActive(name=uri, uri=uri))
    return uri


@pytest.fixture()
def receiver(asset_uri, monkeypatch):
    """A client of the receiver app configured for model `Churn Receiver Test` (and `Churn Pattern *`)."""
    from fastapi.testclient import TestClient

    from databricks_registry.webhook_receiver.app import app

    monkeypatch.setenv(
        "AIRFLOW_CONN_DATABRICKS_REGISTRY_WEBHOOK",
        receiver_connection(["Churn Receiver Test", "Churn Pattern *"], asset_uri),
    )
    return TestClient(app)


@pytest.fixture()
def served_receiver(receiver):
    """The receiver app on a real HTTP port (uvicorn in a thread), as the workspace's deliverer reaches it."""
    import threading

    import uvicorn

    from databricks_registry.webhook_receiver.app import app
    from local_workspace.launcher import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=60, what="the receiver to listen")
    try:
        yield f"http://127.0.0.1:{port}/registry"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture()
def asset_events(asset_uri):
    """`asset_events()` -> the extras of every event on the test's asset, oldest first."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    def read() -> list[dict]:
        with create_session() as session:
            rows = session.scalars(
                select(AssetEvent)
                .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
                .where(AssetModel.uri == asset_uri)
                .order_by(AssetEvent.id)
            )
            return [dict(row.extra) for row in rows]

    return read
