"""The UC decision over real HTTP against the local workspace (through the counting / fault-injecting proxy):
what a person sees in Catalog Explorer after each step, and that re-runs and retries write nothing twice."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException
from fake_context import make_context
from uc_setup import UcModel

from databricks_registry.errors import RegistryUnavailable
from databricks_registry.unity_catalog.decision import PromoteToChampionOperator, RecordValidationOperator
from databricks_registry.unity_catalog.hook import UnityCatalogModelsHook
from databricks_registry.unity_catalog.operators import (
    DeleteModelAliasOperator,
    DeleteModelVersionTagOperator,
    SetModelAliasOperator,
    SetModelVersionTagsOperator,
)

CHECKS = [
    {"name": "input_schema", "passed": True, "measured": 12, "threshold": 12, "detail": ""},
    {"name": "holdout_quality", "passed": True, "measured": 0.81, "threshold": 0.7, "detail": ""},
]
GOOD = {"passed": True, "checks": CHECKS, "report_markdown": "## Candidate report\nAUC 0.81", "failed_checks": []}
BAD = {
    "passed": False,
    "checks": [CHECKS[0], {**CHECKS[1], "passed": False, "measured": 0.5}],
    "report_markdown": "## Candidate report\nAUC 0.50",
    "failed_checks": ["holdout_quality"],
}
RUN_URL = "http://ws.example/#job/1/run/7"


@pytest.fixture()
def uc_model(proxied) -> tuple[str, list[str]]:
    """A fresh `main.<schema>.churn_model` with two READY versions, reached through the proxy."""
    model = UcModel.create(UnityCatalogModelsHook())
    return model.full_name, [str(model.add_version()), str(model.add_version())]


def validate(name, version, result=GOOD):
    op = RecordValidationOperator(
        task_id="record_validation",
        model_name=name,
        version=version,
        test_result=result,
        test_run_page_url=RUN_URL,
        databricks_retry_delay=0.01,
    )
    return op.execute(make_context(task_id="record_validation"))


def promote(name, version, **kwargs):
    op = PromoteToChampionOperator(
        task_id="promote", model_name=name, version=version, databricks_retry_delay=0.01, **kwargs
    )
    return op, op.execute(make_context(task_id="promote"))


def writes(proxy) -> list[tuple[str, str]]:
    return [(method, path) for method, path in proxy.requests if method != "GET"]


def test_a_passing_version_becomes_challenger_with_its_checks_and_report(uc_model):
    name, (v1, _) = uc_model
    summary = validate(name, v1)
    assert summary["verdict"] == "passed" and summary["validation_status"] == "PASSED"
    version = UnityCatalogModelsHook().get_model_version(name, v1)
    assert version.tags["validation_status"] == "PASSED"
    assert version.tags["check_input_schema"] == version.tags["check_holdout_quality"] == "PASSED"
    assert version.aliases == ("challenger",)
    assert "### Airflow validation" in (version.description or "")
    assert RUN_URL in version.description and "AUC 0.81" in version.description
    assert summary["catalog_explorer_url"].endswith(f"/explore/data/models/{name.replace('.', '/')}/version/{v1}")


def test_a_failing_version_is_failed_with_no_alias(uc_model, proxied):
    name, (v1, _) = uc_model
    summary = validate(name, v1, BAD)
    assert summary["verdict"] == "failed" and summary["failed_checks"] == ["holdout_quality"]
    version = UnityCatalogModelsHook().get_model_version(name, v1)
    assert version.tags["validation_status"] == "FAILED"
    assert version.tags["check_holdout_quality"] == "FAILED" and version.aliases == ()
    assert not [w for w in writes(proxied) if "alias" in w[1]]
    with pytest.raises(AirflowFailException, match="never promoted without passing its tests"):
        promote(name, v1)
    assert UnityCatalogModelsHook().get_registered_model(name).aliases == {}


def test_promotion_moves_champion_and_tags_the_previous_one_and_a_rerun_changes_nothing(uc_model, proxied):
    name, (v1, v2) = uc_model
    validate(name, v1), promote(name, v1)
    validate(name, v2)
    _, summary = promote(name, v2, approval={"approved": True, "approver": "ana"})
    assert (summary["verdict"], summary["previous_champion"]) == ("promoted", v1)
    assert summary["aliases_moved"] == [{"alias": "champion", "version": v2}]
    hook = UnityCatalogModelsHook()
    assert hook.get_registered_model(name).aliases == {"champion": int(v2), "challenger": int(v2)}
    old = hook.get_model_version(name, v1)
    assert old.tags["champion_replaced_by"] == v2 and old.tags["champion_replaced_at"]
    assert "ana approved" in (hook.get_model_version(name, v2).description or "")

    proxied.reset()
    assert validate(name, v2, BAD)["verdict"] == "already_decided"
    assert promote(name, v2)[1]["verdict"] == "already_champion"
    assert promote(name, v1)[1]["verdict"] == "superseded"  # a late re-run of the old decision
    assert writes(proxied) == []


def test_rejection_from_the_approval_tag_moves_nothing(uc_model):
    name, (v1, _) = uc_model
    validate(name, v1)
    hook = UnityCatalogModelsHook()
    hook.set_version_tag(name, v1, "approval", "Rejected")
    _, summary = promote(name, v1, approval_from_tag=True)
    assert summary["verdict"] == "rejected" and summary["aliases_moved"] == []
    assert "champion" not in hook.get_registered_model(name).aliases
    assert "**Rejected**" in (hook.get_model_version(name, v1).description or "")


def test_custom_approval_tag_values_set_in_databricks_promote(uc_model):
    name, (v1, _) = uc_model
    validate(name, v1)
    hook = UnityCatalogModelsHook()
    hook.set_version_tag(name, v1, "approval", "Ship it")
    hook.set_version_tag(name, v1, "approved_by", "ana@example.com")
    _, summary = promote(name, v1, approval_from_tag=True, approved_value="Ship it", rejected_value="Hold")
    assert summary["verdict"] == "promoted" and hook.get_registered_model(name).aliases["champion"] == int(v1)
    assert "ana@example.com set approval=Ship it" in (hook.get_model_version(name, v1).description or "")


def test_a_retry_after_the_moves_answer_was_lost_does_not_move_the_alias_again(uc_model, proxied):
    name, (v1, v2) = uc_model
    validate(name, v1), promote(name, v1)
    validate(name, v2)
    op = PromoteToChampionOperator(task_id="promote", model_name=name, version=v2, databricks_retry_delay=0.01)
    real_set_alias = op.uc_hook.set_alias

    def set_alias_with_lost_answers(*args):
        # Every HTTP attempt of this POST is applied upstream and answered 503 (a gateway timing out).
        proxied.inject_lost_response(times=op.retry_limit, path_contains="registered-models/alias")
        return real_set_alias(*args)

    op.uc_hook.set_alias = set_alias_with_lost_answers  # type: ignore[method-assign]
    with pytest.raises(RegistryUnavailable):
        op.execute(make_context(task_id="promote"))
    assert proxied.pending_faults() == 0  # every attempt's answer was lost
    assert UnityCatalogModelsHook().get_registered_model(name).aliases["champion"] == int(v2)  # it did land

    proxied.reset()
    _, retry = promote(name, v2)  # the task retry
    assert retry["verdict"] == "already_champion" and retry["aliases_moved"] == []
    assert not [w for w in writes(proxied) if "alias" in w[1]]
    old = UnityCatalogModelsHook().get_model_version(name, v1)
    assert old.tags["champion_replaced_by"] == v2  # the trail the lost try could not write is finished


def test_small_operators_over_http(uc_model, proxied):
    name, (v1, v2) = uc_model
    context = make_context()
    set_alias = SetModelAliasOperator(task_id="a", model_name=name, alias="challenger", version=v2)
    assert set_alias.execute(context)["changed"] is True
    proxied.reset()
    assert set_alias.execute(context)["changed"] is False and writes(proxied) == []
    tags = SetModelVersionTagsOperator(task_id="t", model_name=name, version=v1, tags={"team": "churn", "tier": 1})
    assert tags.execute(context)["tags_set"] == {"team": "churn", "tier": "1"}
    delete_tag = DeleteModelVersionTagOperator(task_id="d", model_name=name, version=v1, key="tier")
    assert delete_tag.execute(context)["deleted_value"] == "1"
    assert UnityCatalogModelsHook().get_model_version(name, v1).tags == {"team": "churn"}
    delete_alias = DeleteModelAliasOperator(task_id="x", model_name=name, alias="challenger", expected_version=v2)
    assert delete_alias.execute(context)["deleted_from_version"] == v2
    assert UnityCatalogModelsHook().get_registered_model(name).aliases == {}


def test_both_decision_steps_link_the_version_and_the_test_run(uc_model):
    from databricks_registry.links import MODEL_VERSION_URL_KEY, RUN_PAGE_URL_KEY

    name, (v1, _) = uc_model
    pushed = {}
    for op in (
        RecordValidationOperator(task_id="v", model_name=name, version=v1, test_result=GOOD, test_run_page_url=RUN_URL),
        PromoteToChampionOperator(task_id="p", model_name=name, version=v1, test_run_page_url=RUN_URL),
    ):
        context = make_context(task_id=op.task_id)
        op.execute(context)
        pushed[op.task_id] = context["ti"].xcoms
    for xcoms in pushed.values():
        assert xcoms[RUN_PAGE_URL_KEY] == RUN_URL
        assert xcoms[MODEL_VERSION_URL_KEY].endswith(f"/version/{v1}")
    assert "test_run_page_url" in PromoteToChampionOperator.template_fields
