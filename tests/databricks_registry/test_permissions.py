"""Permission errors from a workspace with a read-only user: typed, clear, and nothing changes."""

from __future__ import annotations

import json
import secrets

import pytest
from airflow.providers.common.compat.sdk import AirflowSkipException
from fake_context import make_context
from registry_setup import create_model, create_version

from databricks_registry import endpoints as ep
from databricks_registry.errors import RegistryPermissionDenied
from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.operators import TransitionRequestDecisionOperator
from databricks_registry.sensors import TransitionRequestSensor

pytestmark = pytest.mark.slow  # a workspace of its own (a users file with a read-only user)

READER_TOKEN = secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def restricted_workspace(tmp_path_factory):
    """A second workspace whose users file adds a CAN_READ user (the main token's user can manage)."""
    from local_workspace.launcher import start_workspace

    data_dir = tmp_path_factory.mktemp("restricted-workspace")
    users = data_dir / "users.json"
    users.write_text(json.dumps({READER_TOKEN: {"user": "reader@example.com", "permission": "CAN_READ"}}))
    ws = start_workspace(data_dir=data_dir, users_file=users)
    try:
        yield ws
    finally:
        ws.stop()


@pytest.fixture()
def as_reader(restricted_workspace, monkeypatch):
    conn = json.loads(restricted_workspace.airflow_connection_json())
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_DEFAULT", restricted_workspace.airflow_connection_json())
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_READER", json.dumps({**conn, "password": READER_TOKEN}))
    return restricted_workspace


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_reader_may_request_but_not_approve(mode, as_reader, model_name):
    admin, reader = ModelRegistryHook(), ModelRegistryHook("databricks_reader")
    create_model(admin, model_name)
    version = create_version(admin, model_name, "dbfs:/m")
    request = reader.create_transition_request(model_name, version, "Staging")
    assert request.user_id == "reader@example.com"
    with pytest.raises(RegistryPermissionDenied) as err:
        if mode == "sync":
            reader.approve_transition_request(model_name, version, "Staging", True)
        else:
            params = {"name": model_name, "version": version, "stage": "Staging", "archive_existing_versions": True}
            await reader.a_call(ep.APPROVE_TRANSITION_REQUEST, params)
    assert (err.value.http_status_code, err.value.error_code) == (403, "PERMISSION_DENIED")
    assert len(admin.list_transition_requests(model_name, version)) == 1


def test_decision_without_permission_fails_clearly_and_leaves_the_request_open(as_reader, model_name):
    admin = ModelRegistryHook()
    create_model(admin, model_name)
    version = create_version(admin, model_name, "dbfs:/m")
    admin.create_transition_request(model_name, version, "Staging")
    [event] = TransitionRequestSensor(task_id="s", model_name=model_name).poke(make_context()).xcom_value
    operator = TransitionRequestDecisionOperator(
        task_id="d", request=event, test_result={"passed": True}, databricks_conn_id="databricks_reader"
    )
    with pytest.raises(RegistryPermissionDenied, match="PERMISSION_DENIED"):
        operator.execute(make_context())
    assert admin.get_model_version(model_name, version).current_stage == "None"
    assert len(admin.list_transition_requests(model_name, version)) == 1
    # A person cancels meanwhile; the retry must report the conflict, not claim the failed approval happened.
    admin.cancel_transition_request(model_name, version, "Staging", event["requester"])
    with pytest.raises(AirflowSkipException, match="no longer open"):
        operator.execute(make_context())
