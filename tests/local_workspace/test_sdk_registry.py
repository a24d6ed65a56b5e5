"""databricks-sdk's WorkspaceClient.model_registry against a started local workspace (real HTTP, unmodified client)."""

from __future__ import annotations

import logging

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, ResourceAlreadyExists
from databricks.sdk.errors.platform import InvalidParameterValue
from databricks.sdk.service.ml import ActivityAction, ActivityType, CommentActivityAction

SOURCE = "dbfs:/databricks/mlflow-tracking/0/not-a-run/artifacts/model"


@pytest.fixture(scope="module")
def w(workspace):
    return WorkspaceClient(host=workspace.url, token=workspace.token)


def _versions(w, name, count=1):
    w.model_registry.create_model(name)
    return [w.model_registry.create_model_version(name, SOURCE).model_version.version for _ in range(count)]


def test_client_init_does_not_warn_about_the_discovery_probe(workspace, caplog):
    with caplog.at_level(logging.DEBUG, logger="databricks.sdk"):
        client = WorkspaceClient(host=workspace.url, token=workspace.token)
        client.config.authenticate()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert client.config.workspace_id == "1234567890123456"


def test_request_list_approve_with_archive(w, workspace, model_name):
    v1, v2 = _versions(w, model_name, 2)
    w.model_registry.transition_stage(model_name, v1, "Staging", archive_existing_versions=False)

    created = w.model_registry.create_transition_request(model_name, v2, "Staging", comment="ready for testing")
    assert created.request.to_stage == "Staging"
    assert created.request.user_id == workspace.user
    assert created.request.comment == "ready for testing"
    assert created.request.creation_timestamp > 0
    assert ActivityAction.APPROVE_TRANSITION_REQUEST in created.request.available_actions

    open_requests = list(w.model_registry.list_transition_requests(model_name, v2))
    assert [(r.activity_type, r.to_stage, r.from_stage, r.user_id) for r in open_requests] == [
        (ActivityType.REQUESTED_TRANSITION, "Staging", "None", workspace.user)
    ]

    approved = w.model_registry.approve_transition_request(
        model_name, v2, "Staging", archive_existing_versions=True, comment="tests passed"
    ).activity
    assert approved.activity_type == ActivityType.APPROVED_REQUEST
    assert (approved.from_stage, approved.to_stage, approved.user_id) == ("None", "Staging", workspace.user)
    assert approved.comment == "tests passed"

    assert w.model_registry.get_model_version(model_name, v2).model_version.current_stage == "Staging"
    assert w.model_registry.get_model_version(model_name, v1).model_version.current_stage == "Archived"
    assert list(w.model_registry.list_transition_requests(model_name, v2)) == []


def test_approve_without_archive_keeps_other_staging_versions(w, model_name):
    v1, v2 = _versions(w, model_name, 2)
    w.model_registry.transition_stage(model_name, v1, "Staging", archive_existing_versions=False)
    w.model_registry.create_transition_request(model_name, v2, "Staging")
    w.model_registry.approve_transition_request(model_name, v2, "Staging", archive_existing_versions=False)
    assert w.model_registry.get_model_version(model_name, v1).model_version.current_stage == "Staging"


def test_reject_closes_the_request_and_keeps_the_stage(w, model_name):
    (v1,) = _versions(w, model_name)
    w.model_registry.create_transition_request(model_name, v1, "Production")
    rejected = w.model_registry.reject_transition_request(model_name, v1, "Production", comment="f1 too low")
    assert rejected.activity.activity_type == ActivityType.REJECTED_REQUEST
    assert rejected.activity.comment == "f1 too low"
    assert list(w.model_registry.list_transition_requests(model_name, v1)) == []
    assert w.model_registry.get_model_version(model_name, v1).model_version.current_stage == "None"


def test_requester_cancels_own_request(w, workspace, model_name):
    (v1,) = _versions(w, model_name)
    w.model_registry.create_transition_request(model_name, v1, "Staging")
    cancelled = w.model_registry.delete_transition_request(
        model_name, v1, "Staging", creator=workspace.user, comment="wrong version"
    )
    assert cancelled.activity.activity_type == ActivityType.CANCELLED_REQUEST
    assert list(w.model_registry.list_transition_requests(model_name, v1)) == []


def test_decisions_need_an_open_request_and_change_nothing(w, model_name):
    (v1,) = _versions(w, model_name)
    with pytest.raises(NotFound, match="No open request"):
        w.model_registry.approve_transition_request(model_name, v1, "Staging", archive_existing_versions=True)
    with pytest.raises(NotFound):
        w.model_registry.reject_transition_request(model_name, v1, "Staging")
    with pytest.raises(NotFound):
        w.model_registry.delete_transition_request(model_name, v1, "Staging", creator="someone-else")
    assert w.model_registry.get_model_version(model_name, v1).model_version.current_stage == "None"


def test_request_for_another_stage_does_not_authorize_approval(w, model_name):
    (v1,) = _versions(w, model_name)
    w.model_registry.create_transition_request(model_name, v1, "Production")
    with pytest.raises(NotFound):
        w.model_registry.approve_transition_request(model_name, v1, "Staging", archive_existing_versions=False)
    assert [r.to_stage for r in w.model_registry.list_transition_requests(model_name, v1)] == ["Production"]


def test_duplicate_open_request_is_refused(w, model_name):
    (v1,) = _versions(w, model_name)
    w.model_registry.create_transition_request(model_name, v1, "Staging")
    with pytest.raises(ResourceAlreadyExists, match="already has an open request"):
        w.model_registry.create_transition_request(model_name, v1, "Staging")
    assert len(list(w.model_registry.list_transition_requests(model_name, v1))) == 1


@pytest.mark.parametrize("stage", ["Staged", "", "prod"])
def test_invalid_stage_is_refused(w, model_name, stage):
    (v1,) = _versions(w, model_name)
    with pytest.raises(InvalidParameterValue):
        w.model_registry.create_transition_request(model_name, v1, stage)
    assert list(w.model_registry.list_transition_requests(model_name, v1)) == []


def test_missing_model_or_version_is_404(w, model_name):
    with pytest.raises(NotFound):
        w.model_registry.create_transition_request(model_name, "1", "Staging")
    (v1,) = _versions(w, model_name)
    with pytest.raises(NotFound):
        w.model_registry.create_transition_request(model_name, "99", "Staging")
    with pytest.raises(NotFound):
        w.model_registry.create_comment(model_name, "99", "hello")
    with pytest.raises(NotFound):
        w.model_registry.get_model(model_name + " missing")


def test_comment_create_update_delete(w, workspace, model_name):
    (v1,) = _versions(w, model_name)
    comment = w.model_registry.create_comment(model_name, v1, "This model passed all the tests").comment
    assert comment.id and comment.user_id == workspace.user
    assert comment.comment == "This model passed all the tests"
    assert set(comment.available_actions) == {CommentActivityAction.EDIT_COMMENT, CommentActivityAction.DELETE_COMMENT}
    updated = w.model_registry.update_comment(comment.id, "edited").comment
    assert (updated.id, updated.comment) == (comment.id, "edited")
    assert updated.last_updated_timestamp >= comment.last_updated_timestamp
    w.model_registry.delete_comment(comment.id)
    with pytest.raises(NotFound):
        w.model_registry.update_comment(comment.id, "again")


def test_get_registered_model_databricks(w, model_name):
    v1, v2 = _versions(w, model_name, 2)
    w.model_registry.transition_stage(model_name, v1, "Production", archive_existing_versions=False)
    model = w.model_registry.get_model(model_name).registered_model_databricks
    assert model.name == model_name and model.id
    assert model.permission_level.value == "CAN_MANAGE"
    assert {(v.version, v.current_stage) for v in model.latest_versions} == {(v1, "Production"), (v2, "None")}


def test_transition_stage_returns_model_version_databricks(w, model_name):
    (v1,) = _versions(w, model_name)
    w.model_registry.create_transition_request(model_name, v1, "Production", comment="please")
    mv = w.model_registry.transition_stage(
        model_name, v1, "staging", archive_existing_versions=True, comment="direct"
    ).model_version_databricks
    assert (mv.name, mv.version, mv.current_stage) == (model_name, v1, "Staging")
    assert [r.to_stage for r in mv.open_requests] == ["Production"]


@pytest.mark.parametrize("suffix", [" with 'quotes'", ' and "double"', " ünïcødé ✓", " a%20c?x=1&y#z"])
def test_awkward_model_names(w, model_name, suffix):
    name = model_name + suffix
    (v1,) = _versions(w, name)
    w.model_registry.create_transition_request(name, v1, "Staging")
    w.model_registry.create_comment(name, v1, "ok")
    assert [r.to_stage for r in w.model_registry.list_transition_requests(name, v1)] == ["Staging"]
    w.model_registry.approve_transition_request(name, v1, "Staging", archive_existing_versions=True)
    assert w.model_registry.get_model(name).registered_model_databricks.latest_versions[0].current_stage == "Staging"


def test_delete_calls_send_query_parameters_like_databricks(w, model_name):
    """databricks-sdk sends DELETE parameters in the query string; MLflow's own delete endpoints must accept them."""
    (v1,) = _versions(w, model_name)
    w.model_registry.set_model_version_tag(model_name, v1, "checks", "passed")
    w.model_registry.delete_model_version_tag(model_name, v1, "checks")
    assert not w.model_registry.get_model_version(model_name, v1).model_version.tags
    w.model_registry.delete_model_version(model_name, v1)
    w.model_registry.delete_model(model_name)
    with pytest.raises(NotFound):
        w.model_registry.get_model(model_name)


def test_list_models_pages_through_all_models(w, model_name):
    names = {f"{model_name} #{i}" for i in range(3)}
    for name in names:
        w.model_registry.create_model(name)
    listed = {m.name for m in w.model_registry.list_models(max_results=2)}
    assert names <= listed
