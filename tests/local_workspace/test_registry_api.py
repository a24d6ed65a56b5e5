"""Raw HTTP against the registry extension: request validation, error shapes, permissions. Nothing is mocked."""

from __future__ import annotations

import json

import pytest
import requests

from local_workspace.launcher import start_workspace


class Api:
    def __init__(self, url: str, token: str):
        self.base = url + "/api/2.0/mlflow"
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.base}/{path}", headers=headers, timeout=30, **kwargs)

    def ok(self, method: str, path: str, **kwargs) -> dict:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def new_version(self, name: str) -> str:
        self.call("POST", "registered-models/create", json={"name": name})
        return self.ok("POST", "model-versions/create", json={"name": name, "source": "dbfs:/x"})["model_version"][
            "version"
        ]


@pytest.fixture(scope="module")
def api(workspace):
    return Api(workspace.url, workspace.token)


def _error(response: requests.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code and body["message"]
    return body["message"]


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({"version": "1", "stage": "Staging"}, "name"),
        ({"name": "m", "stage": "Staging"}, "version"),
        ({"name": "m", "version": "one", "stage": "Staging"}, "version"),
        ({"name": "m", "version": "1"}, "stage"),
    ],
)
def test_create_request_missing_or_bad_fields(api, body, fragment):
    assert fragment in _error(api.call("POST", "transition-requests/create", json=body), 400, "INVALID_PARAMETER_VALUE")


def test_body_must_be_a_json_object(api):
    _error(
        api.call("POST", "transition-requests/create", data="[1]", headers={"Content-Type": "application/json"}),
        400,
        "MALFORMED_REQUEST",
    )


def test_approve_requires_archive_flag_and_changes_nothing(api, model_name):
    version = api.new_version(model_name)
    api.ok("POST", "transition-requests/create", json={"name": model_name, "version": version, "stage": "Staging"})
    message = _error(
        api.call(
            "POST", "transition-requests/approve", json={"name": model_name, "version": version, "stage": "Staging"}
        ),
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "archive_existing_versions" in message
    assert (
        len(api.ok("GET", "transition-requests/list", params={"name": model_name, "version": version})["requests"]) == 1
    )
    mv = api.ok("GET", "model-versions/get", params={"name": model_name, "version": version})["model_version"]
    assert mv["current_stage"] == "None"


def test_missing_model_version_is_404_everywhere(api, model_name):
    params = {"name": model_name, "version": "3"}
    _error(api.call("GET", "transition-requests/list", params=params), 404, "RESOURCE_DOES_NOT_EXIST")
    _error(api.call("POST", "comments/create", json={**params, "comment": "x"}), 404, "RESOURCE_DOES_NOT_EXIST")
    _error(
        api.call("GET", "databricks/registered-models/get", params={"name": model_name}), 404, "RESOURCE_DOES_NOT_EXIST"
    )
    _error(api.call("GET", "model-versions/list-artifacts", params=params), 404, "RESOURCE_DOES_NOT_EXIST")
    _error(api.call("PATCH", "comments/update", json={"id": "nope", "comment": "x"}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_request_to_current_stage_is_refused(api, model_name):
    version = api.new_version(model_name)
    _error(
        api.call("POST", "transition-requests/create", json={"name": model_name, "version": version, "stage": "None"}),
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_empty_comment_is_refused(api, model_name):
    version = api.new_version(model_name)
    _error(
        api.call("POST", "comments/create", json={"name": model_name, "version": version, "comment": "  "}),
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_stage_names_are_case_insensitive_and_canonicalized(api, model_name):
    version = api.new_version(model_name)
    created = api.ok(
        "POST", "transition-requests/create", json={"name": model_name, "version": version, "stage": "PRODUCTION"}
    )
    assert created["request"]["to_stage"] == "Production"


def test_cancel_is_a_delete_with_query_parameters(api, workspace, model_name):
    version = api.new_version(model_name)
    api.ok("POST", "transition-requests/create", json={"name": model_name, "version": version, "stage": "Staging"})
    activity = api.ok(
        "DELETE",
        "transition-requests/delete",
        params={"name": model_name, "version": version, "stage": "Staging", "creator": workspace.user},
    )["activity"]
    assert activity["activity_type"] == "CANCELLED_REQUEST" and activity["user_id"] == workspace.user


def test_comment_delete_is_a_delete_with_id_query(api, model_name):
    version = api.new_version(model_name)
    comment = api.ok("POST", "comments/create", json={"name": model_name, "version": version, "comment": "x"})
    assert api.ok("DELETE", "comments/delete", params={"id": comment["comment"]["id"]}) == {}
    _error(
        api.call("DELETE", "comments/delete", params={"id": comment["comment"]["id"]}), 404, "RESOURCE_DOES_NOT_EXIST"
    )


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """A workspace with a reviewer (full rights), a data scientist (CAN_EDIT: may only request) and a
    staging manager."""
    data_dir = tmp_path_factory.mktemp("team-workspace")
    users = {
        # Notes are allowed in the users file (and the permission next to one still applies).
        "ds-token": {"user": "ds@example.com", "permission": "CAN_EDIT", "note": "data scientist, may only request"},
        "stg-token": {"user": "stg@example.com", "permission": "CAN_MANAGE_STAGING_VERSIONS"},
    }
    users_file = data_dir / "users.json"
    users_file.write_text(json.dumps(users))
    ws = start_workspace(data_dir / "state", users_file=users_file, user="reviewer@example.com")
    try:
        yield ws, Api(ws.url, ws.token), Api(ws.url, "ds-token"), Api(ws.url, "stg-token")
    finally:
        ws.stop()


@pytest.mark.slow  # a workspace of its own (users with other permissions)
def test_permission_levels(team):
    ws, reviewer, scientist, staging_manager = team
    name = "permissions model"
    version = reviewer.new_version(name)
    request = scientist.ok(
        "POST", "transition-requests/create", json={"name": name, "version": version, "stage": "Production"}
    )["request"]
    assert request["user_id"] == "ds@example.com"
    assert request["available_actions"] == ["CANCEL_TRANSITION_REQUEST"]

    listed = reviewer.ok("GET", "transition-requests/list", params={"name": name, "version": version})["requests"]
    assert set(listed[0]["available_actions"]) == {"APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST"}

    decision = {"name": name, "version": version, "stage": "Production", "archive_existing_versions": True}
    _error(scientist.call("POST", "transition-requests/approve", json=decision), 403, "PERMISSION_DENIED")
    _error(staging_manager.call("POST", "transition-requests/approve", json=decision), 403, "PERMISSION_DENIED")
    _error(
        staging_manager.call("DELETE", "transition-requests/delete", params={**decision, "creator": "ds@example.com"}),
        403,
        "PERMISSION_DENIED",
    )
    assert (
        len(reviewer.ok("GET", "transition-requests/list", params={"name": name, "version": version})["requests"]) == 1
    )

    approved = reviewer.ok("POST", "transition-requests/approve", json=decision)["activity"]
    assert approved["user_id"] == "reviewer@example.com"
    mv = reviewer.ok("GET", "model-versions/get", params={"name": name, "version": version})["model_version"]
    assert mv["current_stage"] == "Production"


@pytest.mark.slow  # a workspace of its own (users with other permissions)
def test_mlflow_own_transition_endpoint_checks_permissions(team):
    """MLflow's `model-versions/transition-stage` may not bypass the permission model of Databricks' endpoints."""
    _, reviewer, scientist, staging_manager = team
    name = "mlflow transition permissions"
    version = reviewer.new_version(name)

    def transition(api, stage):
        return api.call(
            "POST",
            "model-versions/transition-stage",
            json={"name": name, "version": version, "stage": stage, "archive_existing_versions": False},
        )

    _error(transition(scientist, "Production"), 403, "PERMISSION_DENIED")
    _error(transition(scientist, "Staging"), 403, "PERMISSION_DENIED")
    _error(transition(staging_manager, "Production"), 403, "PERMISSION_DENIED")
    mv = reviewer.ok("GET", "model-versions/get", params={"name": name, "version": version})["model_version"]
    assert mv["current_stage"] == "None"  # nothing changed

    assert transition(staging_manager, "Staging").status_code == 200
    assert transition(reviewer, "Production").json()["model_version"]["current_stage"] == "Production"


@pytest.mark.slow  # a workspace of its own (users with other permissions)
def test_only_the_author_edits_a_comment(team):
    _, reviewer, scientist, _ = team
    name = "comment authorship"
    version = reviewer.new_version(name)
    comment = scientist.ok("POST", "comments/create", json={"name": name, "version": version, "comment": "mine"})
    _error(
        reviewer.call("PATCH", "comments/update", json={"id": comment["comment"]["id"], "comment": "theirs"}),
        403,
        "PERMISSION_DENIED",
    )
    _error(
        reviewer.call("DELETE", "comments/delete", params={"id": comment["comment"]["id"]}), 403, "PERMISSION_DENIED"
    )


def test_requests_of_a_deleted_model_do_not_reappear_on_a_new_model_of_that_name(api, model_name):
    version = api.new_version(model_name)
    api.ok("POST", "transition-requests/create", json={"name": model_name, "version": version, "stage": "Staging"})
    api.ok("DELETE", "registered-models/delete", json={"name": model_name})

    version = api.new_version(model_name)
    params = {"name": model_name, "version": version}
    assert api.ok("GET", "transition-requests/list", params=params)["requests"] == []
    _error(
        api.call(
            "POST",
            "transition-requests/approve",
            json={**params, "stage": "Staging", "archive_existing_versions": False},
        ),
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )
    # The same user may request the same transition for the new version.
    api.ok("POST", "transition-requests/create", json={**params, "stage": "Staging"})
    assert len(api.ok("GET", "transition-requests/list", params=params)["requests"]) == 1


def test_get_parameters_may_come_as_a_json_body(api, model_name):
    """The Airflow provider's async client sends GET parameters as a JSON body (without a JSON content type)."""
    version = api.new_version(model_name)
    api.ok("POST", "transition-requests/create", json={"name": model_name, "version": version, "stage": "Staging"})
    body = json.dumps({"name": model_name, "version": version})
    listed = api.ok("GET", "transition-requests/list", data=body)
    assert [r["to_stage"] for r in listed["requests"]] == ["Staging"]


@pytest.mark.parametrize(
    "method,path,status,code",
    [
        ("GET", "transition-requests/create", 405, "BAD_REQUEST"),
        ("POST", "transition-requests/no-such-call", 404, "ENDPOINT_NOT_FOUND"),
    ],
)
def test_unknown_endpoints_and_wrong_methods_answer_json(api, method, path, status, code):
    _error(api.call(method, path, json={}), status, code)
