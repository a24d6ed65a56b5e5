"""databricks-sdk's Unity Catalog surfaces (catalogs, schemas, registered_models, model_versions) against the
local workspace over real HTTP, with their real error classes."""

from __future__ import annotations

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import BadRequest, NotFound, ResourceAlreadyExists
from databricks.sdk.service.catalog import ModelVersionInfoStatus


@pytest.fixture()
def sdk(workspace) -> WorkspaceClient:
    return WorkspaceClient(host=workspace.url, token=workspace.token)


def _new_version(api, full_name: str) -> int:
    """A READY version, made as MLflow's databricks-uc client makes one (create, then finalize)."""
    base = "/api/2.0/mlflow/unity-catalog/model-versions"
    created = api.call("POST", f"{base}/create", json={"name": full_name, "source": "runs:/r/model"}).json()
    version = created["model_version"]["version"]
    assert created["model_version"]["status"] == "PENDING_REGISTRATION"
    finalized = api.call("POST", f"{base}/finalize", json={"name": full_name, "version": version}).json()
    assert finalized["model_version"]["status"] == "READY"
    return int(version)


def test_metastore_has_main_default_and_new_schemas(sdk):
    assert "main" in [c.name for c in sdk.catalogs.list()]
    assert sdk.schemas.get("main.default").catalog_name == "main"
    sdk.catalogs.create(name="uc_sdk_catalog_test", comment="made by a test")
    schema = sdk.schemas.create(name="churn", catalog_name="uc_sdk_catalog_test")
    assert schema.full_name == "uc_sdk_catalog_test.churn"
    assert [s.name for s in sdk.schemas.list(catalog_name="uc_sdk_catalog_test")] == ["churn"]
    with pytest.raises(ResourceAlreadyExists):
        sdk.schemas.create(name="churn", catalog_name="uc_sdk_catalog_test")
    with pytest.raises(NotFound, match="Catalog 'nope' does not exist"):
        sdk.schemas.get("nope.churn")
    with pytest.raises(NotFound, match="Schema 'main.nope' does not exist"):
        sdk.schemas.get("main.nope")


def test_registered_model_lifecycle_aliases_and_versions(sdk, api, uc_schema):
    catalog, schema = uc_schema.split(".")
    created = sdk.registered_models.create(catalog_name=catalog, schema_name=schema, name="Churn_Model", comment="c")
    full_name = f"{uc_schema}.churn_model"
    assert (created.full_name, created.name, created.owner) == (full_name, "churn_model", created.created_by)
    v1, v2 = _new_version(api, full_name), _new_version(api, full_name)
    assert (v1, v2) == (1, 2)

    alias = sdk.registered_models.set_alias(full_name, "champion", v1)
    assert (alias.alias_name, alias.version_num) == ("champion", 1)
    sdk.registered_models.set_alias(full_name, "champion", v2)  # an alias moves: one version at a time
    sdk.registered_models.set_alias(full_name, "challenger", v1)
    by_alias = sdk.model_versions.get_by_alias(full_name, "champion", include_aliases=True)
    assert (by_alias.version, [a.alias_name for a in by_alias.aliases]) == (2, ["champion"])
    got = sdk.registered_models.get(full_name, include_aliases=True)
    assert {a.alias_name: a.version_num for a in got.aliases} == {"champion": 2, "challenger": 1}
    assert not sdk.registered_models.get(full_name).aliases  # only when asked, as on Databricks

    assert [v.version for v in sdk.model_versions.list(full_name)] == [2, 1]
    assert sdk.model_versions.get(full_name, 1).status == ModelVersionInfoStatus.READY
    assert sdk.model_versions.update(full_name, 1, comment="tested").comment == "tested"
    assert sdk.registered_models.update(full_name, comment="new").comment == "new"
    assert [m.full_name for m in sdk.registered_models.list(catalog_name=catalog, schema_name=schema)] == [full_name]

    sdk.model_versions.delete(full_name, 2)  # its alias goes with it
    assert {a.alias_name for a in sdk.registered_models.get(full_name, include_aliases=True).aliases} == {"challenger"}
    with pytest.raises(NotFound):
        sdk.model_versions.get_by_alias(full_name, "champion")
    sdk.registered_models.delete_alias(full_name, "challenger")
    assert _new_version(api, full_name) == 3  # numbers are never given out twice
    sdk.registered_models.delete(full_name)
    with pytest.raises(NotFound, match="does not exist"):
        sdk.registered_models.get(full_name)


def test_bad_names_and_missing_objects(sdk, uc_schema):
    catalog, schema = uc_schema.split(".")
    with pytest.raises(NotFound, match="Catalog 'no_such_catalog' does not exist"):
        sdk.registered_models.create(catalog_name="no_such_catalog", schema_name="default", name="m")
    with pytest.raises(NotFound, match="Schema 'main.no_such_schema' does not exist"):
        sdk.registered_models.create(catalog_name="main", schema_name="no_such_schema", name="m")
    with pytest.raises(BadRequest, match="Invalid model"):
        sdk.registered_models.create(catalog_name=catalog, schema_name=schema, name="has space")
    with pytest.raises(BadRequest, match="three levels"):
        sdk.registered_models.get("main.only_two")
    sdk.registered_models.create(catalog_name=catalog, schema_name=schema, name="m")
    with pytest.raises(ResourceAlreadyExists):
        sdk.registered_models.create(catalog_name=catalog, schema_name=schema, name="M")  # names ignore case
    with pytest.raises(NotFound, match="version 7 does not exist"):
        sdk.registered_models.set_alias(f"{uc_schema}.m", "champion", 7)
    with pytest.raises(BadRequest, match="Invalid alias"):
        sdk.registered_models.set_alias(f"{uc_schema}.m", "Champion", 1)
    with pytest.raises(BadRequest, match="version"):
        sdk.model_versions.get(f"{uc_schema}.m", "one")  # type: ignore[arg-type]  # a client sending text
