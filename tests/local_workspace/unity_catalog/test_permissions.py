"""Who may change a Unity Catalog model's aliases and tags: its owner, or a user granted MANAGE / APPLY_TAG in the
users file; everyone else gets 403 PERMISSION_DENIED (databricks-sdk's PermissionDenied)."""

from __future__ import annotations

import json

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import PermissionDenied

from local_workspace.config import UsersFileError, read_users_file
from local_workspace.launcher import start_workspace

USERS = {
    "reader-token": {"user": "reader@example.com"},
    "manager-token": {"user": "manager@example.com", "uc_privileges": ["MANAGE"]},
    "approver-token": {"user": "approver@example.com", "uc_privileges": ["APPLY_TAG"], "note": "sets approval tags"},
}
UC = "/api/2.1/unity-catalog/models"
MLFLOW_UC = "/api/2.0/mlflow/unity-catalog"


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("uc-permissions")
    users_file = data_dir / "users.json"
    users_file.write_text(json.dumps(USERS))
    ws = start_workspace(data_dir / "state", users_file=users_file, user="owner@example.com")
    try:
        yield ws, {who: WorkspaceClient(host=ws.url, token=f"{who}-token") for who in ("reader", "manager", "approver")}
    finally:
        ws.stop()


@pytest.mark.slow  # a workspace of its own (users with other privileges)
def test_only_owner_or_granted_users_change_aliases_and_tags(team):
    ws, users = team
    owner = WorkspaceClient(host=ws.url, token=ws.token)
    owner.registered_models.create(catalog_name="main", schema_name="default", name="guarded")
    name = "main.default.guarded"
    version = owner.api_client.do("POST", f"{MLFLOW_UC}/model-versions/create", body={"name": name})
    assert version["model_version"]["user_id"] == "owner@example.com"

    with pytest.raises(PermissionDenied, match="MANAGE"):
        users["reader"].registered_models.set_alias(name, "champion", 1)
    with pytest.raises(PermissionDenied):
        users["approver"].registered_models.set_alias(name, "champion", 1)  # APPLY TAG is not enough
    with pytest.raises(PermissionDenied, match="APPLY TAG"):
        users["reader"].api_client.do(
            "POST", f"{MLFLOW_UC}/model-versions/set-tag", body={"name": name, "version": "1", "key": "k", "value": "v"}
        )
    with pytest.raises(PermissionDenied):
        users["reader"].registered_models.delete(name)
    assert not owner.registered_models.get(name, include_aliases=True).aliases  # nothing changed

    users["manager"].registered_models.set_alias(name, "champion", 1)
    users["approver"].api_client.do(
        "POST",
        f"{MLFLOW_UC}/model-versions/set-tag",
        body={"name": name, "version": "1", "key": "approval", "value": "Approved"},
    )
    got = owner.api_client.do("GET", f"{MLFLOW_UC}/model-versions/get", query={"name": name, "version": "1"})
    assert got["model_version"]["tags"] == [{"key": "approval", "value": "Approved"}]
    assert got["model_version"]["aliases"] == [{"alias": "champion", "version": "1"}]
    # Reading needs no privilege here.
    assert users["reader"].model_versions.get_by_alias(name, "champion").version == 1
    owner.registered_models.delete_alias(name, "champion")


@pytest.mark.slow  # a workspace of its own (users with other privileges)
def test_only_owner_or_manage_change_a_version_description(team):
    """Both ways a client edits the description: MLflow's model-versions/update and the 2.1 PATCH (SDK)."""
    ws, users = team
    owner = WorkspaceClient(host=ws.url, token=ws.token)
    owner.registered_models.create(catalog_name="main", schema_name="default", name="described")
    name = "main.default.described"
    owner.api_client.do("POST", f"{MLFLOW_UC}/model-versions/create", body={"name": name, "description": "mine"})

    def mlflow_update(user: WorkspaceClient, text: str) -> None:
        user.api_client.do(
            "PATCH", f"{MLFLOW_UC}/model-versions/update", body={"name": name, "version": "1", "description": text}
        )

    for who in ("reader", "approver"):  # APPLY TAG covers tags, not the description
        with pytest.raises(PermissionDenied, match="MANAGE .*update the description of version 1"):
            mlflow_update(users[who], "overwritten")
        with pytest.raises(PermissionDenied, match="MANAGE"):
            users[who].model_versions.update(name, 1, comment="overwritten")
    with pytest.raises(PermissionDenied, match="MANAGE .*change its description"):
        users["approver"].registered_models.update(name, comment="overwritten")
    assert owner.model_versions.get(name, 1).comment == "mine"  # nothing changed
    assert owner.registered_models.get(name).comment is None

    mlflow_update(users["manager"], "by the manager")
    assert users["manager"].model_versions.update(name, 1, comment="again").comment == "again"
    assert owner.model_versions.update(name, 1, comment="the owner's").comment == "the owner's"


def test_users_file_refuses_unknown_privileges(tmp_path):
    users_file = tmp_path / "users.json"
    users_file.write_text(json.dumps({"t": {"user": "u", "uc_privileges": ["OWN_EVERYTHING"]}}))
    with pytest.raises(UsersFileError, match="entry 1: .*uc_privileges"):
        read_users_file(users_file)
