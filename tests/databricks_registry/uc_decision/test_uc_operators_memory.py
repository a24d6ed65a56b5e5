"""The UC operators over an in-memory model: what each run writes, and that a try dying after any write is finished
by the next try without writing anything twice (the HTTP tests repeat the main cases against the local workspace)."""

from __future__ import annotations

import json

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException
from fake_context import make_context
from memory_uc import MemoryUnityCatalog

from databricks_registry.errors import RegistryUnavailable
from databricks_registry.unity_catalog.decision import PromoteToChampionOperator, RecordValidationOperator
from databricks_registry.unity_catalog.operators import (
    DeleteModelAliasOperator,
    DeleteModelVersionTagOperator,
    SetModelAliasOperator,
    SetModelVersionTagsOperator,
)

NAME = "main.churn.model"
GOOD = {"passed": True, "checks": [{"name": "auc", "passed": True}], "report_markdown": "fine"}
BAD = {"passed": False, "checks": [{"name": "auc", "passed": False}], "report_markdown": "bad"}


def _run(op, uc: MemoryUnityCatalog, **ctx):
    op.uc_hook = uc  # the operator's cached hook
    return op.execute(make_context(**ctx))


def validate(uc, version, result=GOOD, **kw):
    return _run(RecordValidationOperator(task_id="v", model_name=NAME, version=version, test_result=result, **kw), uc)


def promote(uc, version, **kw):
    return _run(PromoteToChampionOperator(task_id="p", model_name=NAME, version=version, **kw), uc)


def test_validate_then_promote_twice_keeps_a_trail():
    uc = MemoryUnityCatalog()
    assert validate(uc, 1)["verdict"] == "passed"
    assert promote(uc, 1)["verdict"] == "promoted"
    assert validate(uc, 2)["verdict"] == "passed"
    summary = promote(uc, 2, approval={"approved": True, "approver": "ana"})
    assert summary["verdict"] == "promoted" and summary["previous_champion"] == "1"
    assert uc.aliases == {"challenger": "2", "champion": "2"}
    assert uc.versions["1"].tags["champion_replaced_by"] == "2"
    assert uc.versions["2"].tags["approval"] == "Approved"
    assert "ana approved" in uc.versions["2"].description
    assert summary["catalog_explorer_url"] == "https://ws.example/explore/data/models/main/churn/model/version/2"


def test_a_rerun_changes_nothing():
    uc = MemoryUnityCatalog()
    validate(uc, 1), promote(uc, 1)
    before = list(uc.writes)
    assert validate(uc, 1, BAD)["verdict"] == "already_decided"
    assert promote(uc, 1)["verdict"] == "already_champion"
    assert uc.writes == before


def test_failed_validation_is_refused_promotion():
    uc = MemoryUnityCatalog()
    assert validate(uc, 1, BAD)["validation_status"] == "FAILED"
    with pytest.raises(AirflowFailException, match="never promoted without passing its tests"):
        promote(uc, 1)
    assert "champion" not in uc.aliases and "challenger" not in uc.aliases


def test_approval_from_the_version_tag():
    uc = MemoryUnityCatalog()
    validate(uc, 1)
    with pytest.raises(AirflowFailException, match="expected 'Approved' or 'Rejected'"):
        promote(uc, 1, approval_from_tag=True)
    uc.versions["1"].tags["approval"] = "Rejected"
    assert promote(uc, 1, approval_from_tag=True)["verdict"] == "rejected"
    assert "champion" not in uc.aliases


def _timeless(uc: MemoryUnityCatalog) -> dict[str, dict[str, str]]:
    """Every version's tags, without the times (two runs a second apart may differ there)."""
    times = ("champion_replaced_at", "airflow.promotion")
    return {v: {k: t for k, t in s.tags.items() if k not in times} for v, s in uc.versions.items()}


@pytest.mark.parametrize("fail_at", range(1, 19))
def test_a_try_that_dies_after_any_write_is_finished_by_the_retry(fail_at):
    """v1 validated and promoted, then v2 validated and promoted; the fail_at-th write loses its answer."""
    steps = [
        lambda uc: validate(uc, 1),
        lambda uc: promote(uc, 1),
        lambda uc: validate(uc, 2),
        lambda uc: promote(uc, 2),
    ]
    clean = MemoryUnityCatalog()
    for step in steps:
        step(clean)
    uc = MemoryUnityCatalog()
    uc.fail_at = fail_at
    for step in steps:
        try:
            step(uc)
        except RegistryUnavailable:
            step(uc)  # the task retry
    assert uc.aliases == clean.aliases
    assert _timeless(uc) == _timeless(clean)
    marker = json.loads(uc.versions["2"].tags["airflow.promotion"])
    assert uc.versions["1"].tags["champion_replaced_at"] == marker["at"]  # the time the move was first decided
    assert [w for w in uc.writes if w[0] == "alias"] == [w for w in clean.writes if w[0] == "alias"]


def test_small_operators_look_before_they_write():
    uc = MemoryUnityCatalog()
    alias = SetModelAliasOperator(task_id="a", model_name=NAME, alias="champion", version="2")
    assert _run(alias, uc)["changed"] is True
    assert _run(alias, uc) == {
        "model_name": NAME,
        "alias": "champion",
        "version": "2",
        "previous_version": "2",
        "changed": False,
    }
    tags = SetModelVersionTagsOperator(task_id="t", model_name=NAME, version=2, tags={"a": 1, "b": "x"})
    assert _run(tags, uc)["tags_set"] == {"a": "1", "b": "x"}
    assert _run(tags, uc)["tags_set"] == {}
    drop = DeleteModelVersionTagOperator(task_id="d", model_name=NAME, version=2, key="a")
    assert _run(drop, uc)["deleted_value"] == "1" and _run(drop, uc)["changed"] is False
    wrong = DeleteModelAliasOperator(task_id="x", model_name=NAME, alias="champion", expected_version="1")
    with pytest.raises(ValueError, match="points at version 2, not 1"):
        _run(wrong, uc)
    delete = DeleteModelAliasOperator(task_id="x", model_name=NAME, alias="champion")
    assert _run(delete, uc)["deleted_from_version"] == "2" and _run(delete, uc)["changed"] is False


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"model_name": "churn model", "alias": "champion", "version": "1"}, "expected three dot-separated parts"),
        ({"model_name": NAME, "alias": "v3", "version": "1"}, "not 'latest' or 'v<number>'"),
        ({"model_name": NAME, "alias": "champion", "version": "one"}, "positive integer"),
    ],
)
def test_bad_arguments_fail_clearly_before_any_call(kwargs, error):
    uc = MemoryUnityCatalog()
    with pytest.raises(ValueError, match=error):
        _run(SetModelAliasOperator(task_id="a", **kwargs), uc)
    assert uc.writes == []


@pytest.mark.parametrize("result", [None, "", "not json", "[]", {}])
def test_a_missing_test_result_fails_without_recording_anything(result):
    uc = MemoryUnityCatalog()
    with pytest.raises(AirflowFailException, match="nothing recorded"):
        validate(uc, 1, result)
    assert uc.writes == []


def test_a_test_result_rendered_as_json_text_is_read():
    uc = MemoryUnityCatalog()
    assert validate(uc, 1, json.dumps(GOOD))["verdict"] == "passed"
