"""The request operator, extra links and the plugin, against the local workspace."""

from __future__ import annotations

import pytest
from fake_context import make_context

from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.links import (
    MODEL_VERSION_URL_KEY,
    DatabricksRunPageLink,
    ModelVersionLink,
    model_version_url,
)
from databricks_registry.operators import CreateTransitionRequestOperator
from databricks_registry.plugin import DatabricksRegistryPlugin


def test_create_request_returns_a_sensor_shaped_event_and_is_retry_safe(registered, model_name, databricks_env):
    (v1,) = registered(1)
    operator = CreateTransitionRequestOperator(
        task_id="request",
        model_name=model_name,
        version=int(v1),
        comment="best model of the latest AutoML run. Ready for testing",
    )
    context = make_context()
    event = operator.execute(context)
    assert event["event"] == "TRANSITION_REQUEST_TO_STAGING_CREATED"
    assert (event["model_name"], event["version"], event["to_stage"], event["from_stage"]) == (
        model_name,
        v1,
        "Staging",
        "None",
    )
    assert event["requester"] == databricks_env.user and event["creation_timestamp"]
    assert context["ti"].xcoms[MODEL_VERSION_URL_KEY] == model_version_url(databricks_env.url, model_name, v1)

    again = operator.execute(make_context())  # a retry of the same task
    assert again == event
    assert len(ModelRegistryHook().list_transition_requests(model_name, v1)) == 1


def test_create_request_reuses_the_open_request_when_the_workspace_refuses_a_second(registered, model_name):
    (v1,) = registered(1)
    ModelRegistryHook().create_transition_request(model_name, v1, "Staging", "filed by hand")
    event = CreateTransitionRequestOperator(
        task_id="r", model_name=model_name, version=v1, comment="filed by Airflow"
    ).execute(make_context())
    assert (event["version"], event["comment"]) == (v1, "filed by hand")
    assert len(ModelRegistryHook().list_transition_requests(model_name, v1)) == 1


def test_create_request_refuses_bad_input_and_unknown_versions(registered, model_name, proxied):
    from databricks_registry.errors import RegistryResourceNotFound

    with pytest.raises(ValueError, match="stage"):
        CreateTransitionRequestOperator(task_id="r", model_name=model_name, version=1, stage="prod").execute(
            make_context()
        )
    assert proxied.total() == 0
    registered(1)
    with pytest.raises(RegistryResourceNotFound):
        CreateTransitionRequestOperator(task_id="r", model_name=model_name, version=5).execute(make_context())


def test_model_version_url_encodes_names():
    url = model_version_url("https://adb-1.azuredatabricks.net/", "Churn 'Bank' ü/x", 3)
    assert url == "https://adb-1.azuredatabricks.net/#mlflow/models/Churn%20%27Bank%27%20%C3%BC%2Fx/versions/3"


def test_plugin_registers_both_extra_links():
    names = {link.name for link in DatabricksRegistryPlugin.operator_extra_links}
    assert names == {ModelVersionLink.name, DatabricksRunPageLink.name}
    assert DatabricksRegistryPlugin.name == "databricks_registry"


def test_operators_expose_their_links():
    from databricks_registry.operators import TransitionRequestDecisionOperator

    links = {link.name for link in TransitionRequestDecisionOperator.operator_extra_links}
    assert links == {"Model Version", "Databricks Run"}


def test_airflow_discovers_the_plugin_through_its_entry_point():
    from airflow import plugins_manager

    links = plugins_manager.get_operator_extra_links()
    assert {type(link) for link in links} >= {ModelVersionLink, DatabricksRunPageLink}


def test_each_task_keeps_one_hook_and_airflows_retry_delay_stays_the_tasks():
    """default_args' retry_delay is the delay between task tries, not between HTTP retries (it used to be both)."""
    from datetime import timedelta

    from airflow.sdk import DAG

    from databricks_registry.sensors import TransitionRequestSensor
    from databricks_registry.triggers import TransitionRequestTrigger

    with DAG("hooks_cached", schedule=None, default_args={"retries": 2, "retry_delay": timedelta(minutes=2)}):
        request = CreateTransitionRequestOperator(task_id="r", model_name="m", version=1)
        sensor = TransitionRequestSensor(task_id="s", model_name="m", databricks_retry_delay=0.5)
    trigger = TransitionRequestTrigger("m")
    for task in (request, sensor, trigger):
        assert task.hook is task.hook, type(task).__name__
    assert request.retry_delay == sensor.retry_delay == timedelta(minutes=2)
    assert (request.hook.retry_delay, sensor.hook.retry_delay, trigger.hook.retry_delay) == (1.0, 0.5, 1.0)
