"""Unity Catalog names, aliases and answers: what is refused before anything is sent, and how answers read."""

from __future__ import annotations

import pytest

from databricks_registry.endpoints import is_idempotent
from databricks_registry.unity_catalog import endpoints as ep
from databricks_registry.unity_catalog.entities import (
    UcModelVersion,
    UcRegisteredModel,
    normalize_alias,
    normalize_full_name,
    normalize_uc_version,
)
from databricks_registry.unity_catalog.hook import UnityCatalogModelsHook


@pytest.mark.parametrize(
    "name",
    ["churn_model", "main.churn", "main.churn.churn model", "main..model", "a.b.c.d", "main.churn.m/1", "", None, 3],
)
def test_names_that_are_not_three_level_are_refused_with_an_example(name):
    with pytest.raises(ValueError, match=r"catalog\.schema\.model .*main\.churn\.churn_model"):
        normalize_full_name(name)


def test_three_level_names_pass():
    assert normalize_full_name(" main.churn.churn-model_2 ") == "main.churn.churn-model_2"


@pytest.mark.parametrize("alias", ["latest", "v3", "V12", "Champion model", "", "a.b", None])
def test_aliases_that_would_name_a_version_or_are_malformed_are_refused(alias):
    with pytest.raises(ValueError, match="Invalid alias"):
        normalize_alias(alias)


@pytest.mark.parametrize("version", [0, -1, "x", "1.5", True, None])
def test_versions_are_positive_integers(version):
    with pytest.raises(ValueError, match="positive integer"):
        normalize_uc_version(version)


def test_hook_refuses_a_bad_name_before_sending_anything():
    hook = UnityCatalogModelsHook(databricks_conn_id="no_such_connection")  # would fail if it tried to connect
    with pytest.raises(ValueError, match="three dot-separated parts"):
        hook.get_model_version("churn_model", 1)
    with pytest.raises(ValueError, match="Invalid alias"):
        hook.set_alias("main.churn.m", "latest", 1)
    with pytest.raises(ValueError, match="page_size"):
        hook.search_model_versions("main.churn.m", page_size=0)


def test_every_uc_write_is_retried_like_a_read():
    for endpoint in (ep.SET_ALIAS, ep.DELETE_ALIAS, ep.SET_MODEL_VERSION_TAG, ep.DELETE_MODEL_VERSION_TAG):
        assert is_idempotent(endpoint)
    assert is_idempotent(ep.UPDATE_MODEL_VERSION)


def test_model_version_from_get_and_from_search():
    raw = {
        "name": "main.churn.m",
        "version": "3",
        "status": "READY",
        "creation_timestamp": "1700000000000",
        "tags": [{"key": "validation_status", "value": "PENDING"}],
        "aliases": [{"alias": "challenger", "version": "3"}],
        "run_id": "abc",
    }
    got = UcModelVersion.from_api(raw)
    assert (got.version, got.tags, got.aliases, got.creation_timestamp) == (
        3,
        {"validation_status": "PENDING"},
        ("challenger",),
        1700000000000,
    )
    assert got.is_ready and got.tags_known
    searched = UcModelVersion.from_api(raw, from_search=True)
    assert (searched.tags, searched.aliases, searched.tags_known) == ({}, (), False)


def test_registered_model_maps_aliases_to_versions_and_owner():
    model = UcRegisteredModel.from_api(
        {"name": "main.churn.m", "user_id": "ana@example.com", "aliases": [{"alias": "champion", "version": "2"}]}
    )
    assert (model.full_name, model.owner, model.aliases) == ("main.churn.m", "ana@example.com", {"champion": 2})
    assert UcRegisteredModel.from_api({"full_name": "a.b.c", "owner": "grp", "user_id": "x"}).owner == "grp"


def test_search_pages_are_merged_newest_first_and_a_version_shifted_across_pages_counts_once():
    from databricks_registry.unity_catalog.entities import UcVersionPage
    from databricks_registry.unity_catalog.hook import _search_steps

    def version(n: int) -> UcModelVersion:
        return UcModelVersion("main.churn.m", n, "READY", creation_timestamp=n, tags_known=False)

    steps = _search_steps("main.churn.m", 2)
    first = next(steps)
    assert first.params == {"filter": "name='main.churn.m'", "max_results": 2, "page_token": None}
    second = steps.send(UcVersionPage((version(4), version(3)), "2"))
    assert second.params["page_token"] == "2"
    with pytest.raises(StopIteration) as done:
        steps.send(UcVersionPage((version(3), version(2), version(1)), None))  # v5 registered meanwhile shifted v3
    assert [v.version for v in done.value.value] == [4, 3, 2, 1]


def test_the_triggers_reads_have_async_twins_and_writes_stay_sync():
    import inspect

    public = {n for n in vars(UnityCatalogModelsHook) if not n.startswith("_")}
    reads = {"get_registered_model", "get_model_version", "get_version_by_alias", "search_model_versions"}
    for name in reads:
        assert inspect.iscoroutinefunction(getattr(UnityCatalogModelsHook, f"a_{name}")), name
    writes = {n for n in public if n.startswith(("set_", "delete_", "update_"))}
    assert writes == {
        "set_alias",
        "delete_alias",
        "set_version_tag",
        "delete_version_tag",
        "update_version_description",
    }
    assert not {f"a_{n}" for n in writes} & public
