"""UnityCatalogModelsHook against the real local workspace over HTTP: reads (sync and async alike), aliases, tags,
descriptions, paged search, clear errors, and writes that stay safe when their answer is lost."""

from __future__ import annotations

import pytest
from tenacity import stop_after_attempt, wait_none

from databricks_registry.errors import RegistryResourceNotFound
from databricks_registry.unity_catalog.hook import UnityCatalogModelsHook

MODES = ["sync", "async"]


async def call(hook: UnityCatalogModelsHook, mode: str, method: str, *args, **kwargs):
    if mode == "sync":
        return getattr(hook, method)(*args, **kwargs)
    return await getattr(hook, f"a_{method}")(*args, **kwargs)


def fast_hook() -> UnityCatalogModelsHook:
    return UnityCatalogModelsHook(retry_limit=3, retry_args={"stop": stop_after_attempt(3), "wait": wait_none()})


@pytest.mark.parametrize("mode", MODES)
async def test_version_with_tags_aliases_and_description(mode, uc_model):
    hook = UnityCatalogModelsHook()
    one, two = uc_model.add_version({"validation_status": "PENDING"}), uc_model.add_version()
    hook.set_alias(uc_model.full_name, "challenger", one)
    hook.set_version_tag(uc_model.full_name, one, "check_auc", "PASSED")
    updated = hook.update_version_description(uc_model.full_name, one, "## Report\nall checks passed")
    assert updated.description == "## Report\nall checks passed"

    version = await call(hook, mode, "get_model_version", uc_model.full_name, one)
    assert (version.full_name, version.version, version.status) == (uc_model.full_name, 1, "READY")
    assert version.tags == {"validation_status": "PENDING", "check_auc": "PASSED"} and version.tags_known
    assert version.aliases == ("challenger",)
    assert version.creation_timestamp and version.run_id
    by_alias = await call(hook, mode, "get_version_by_alias", uc_model.full_name, "challenger")
    assert by_alias == version
    model = await call(hook, mode, "get_registered_model", uc_model.full_name)
    assert (model.full_name, model.aliases) == (uc_model.full_name, {"challenger": 1})
    assert model.owner

    hook.set_alias(uc_model.full_name, "challenger", two)  # moves it
    assert (await call(hook, mode, "get_registered_model", uc_model.full_name)).aliases == {"challenger": 2}


@pytest.mark.parametrize("mode", MODES)
async def test_search_lists_every_version_newest_first_without_tags_one_call_per_page(mode, proxied, uc_model):
    for _ in range(5):
        uc_model.add_version({"validation_status": "PENDING"})
    uc_model.add_version(ready=False)
    hook = UnityCatalogModelsHook()
    proxied.reset()
    versions = await call(hook, mode, "search_model_versions", uc_model.full_name, page_size=2)
    assert proxied.total("model-versions/search") == 3
    assert [v.version for v in versions] == [6, 5, 4, 3, 2, 1]
    assert [v.status for v in versions] == ["PENDING_REGISTRATION"] + ["READY"] * 5
    assert all(v.tags == {} and not v.tags_known for v in versions)  # UC search returns no tags


def test_deletes_say_whether_they_removed_something(uc_model):
    hook = UnityCatalogModelsHook()
    one = uc_model.add_version({"approval": "Approved"})
    hook.set_alias(uc_model.full_name, "champion", one)
    assert hook.delete_alias(uc_model.full_name, "champion") is True
    assert hook.delete_alias(uc_model.full_name, "champion") is False
    assert hook.get_registered_model(uc_model.full_name).aliases == {}
    assert hook.delete_version_tag(uc_model.full_name, one, "approval") is True
    assert hook.delete_version_tag(uc_model.full_name, one, "approval") is False
    assert hook.get_model_version(uc_model.full_name, one).tags == {}


def test_missing_model_version_or_alias_is_not_found(uc_model, databricks_env):
    hook = UnityCatalogModelsHook()
    missing = uc_model.full_name + "_missing"
    with pytest.raises(RegistryResourceNotFound):
        hook.get_registered_model(missing)
    with pytest.raises(RegistryResourceNotFound):
        hook.delete_alias(missing, "champion")  # the model is missing, not just the alias: an error
    with pytest.raises(RegistryResourceNotFound):
        hook.get_model_version(uc_model.full_name, 99)
    with pytest.raises(RegistryResourceNotFound):
        hook.delete_version_tag(uc_model.full_name, 99, "approval")
    with pytest.raises(RegistryResourceNotFound):
        hook.get_version_by_alias(uc_model.full_name, "champion")


def test_a_write_whose_answer_is_lost_is_retried_and_lands_once(proxied, uc_model):
    hook = fast_hook()
    one = uc_model.add_version()
    proxied.reset()
    proxied.inject_lost_response(1, "registered-models/alias")
    hook.set_alias(uc_model.full_name, "challenger", one)
    assert proxied.total("registered-models/alias") == 2
    proxied.inject_lost_response(1, "model-versions/set-tag")
    hook.set_version_tag(uc_model.full_name, one, "validation_status", "PASSED")
    proxied.inject_lost_response(1, "model-versions/update")
    hook.update_version_description(uc_model.full_name, one, "report")
    version = hook.get_model_version(uc_model.full_name, one)
    assert (version.aliases, version.tags, version.description) == (
        ("challenger",),
        {"validation_status": "PASSED"},
        "report",
    )


def test_a_delete_retried_after_a_lost_answer_is_done_not_an_error(proxied, uc_model):
    hook = fast_hook()
    one = uc_model.add_version({"validation_status": "PENDING"})
    hook.set_alias(uc_model.full_name, "challenger", one)
    proxied.reset()
    proxied.inject_lost_response(1, "registered-models/alias")
    assert hook.delete_alias(uc_model.full_name, "challenger") is False  # applied, answer lost, retry said 404
    proxied.inject_lost_response(1, "model-versions/delete-tag")
    assert hook.delete_version_tag(uc_model.full_name, one, "validation_status") is False
    version = hook.get_model_version(uc_model.full_name, one)
    assert (version.aliases, version.tags) == ((), {})
