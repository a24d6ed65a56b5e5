"""Concurrent stage writers over real HTTP, with 1 and 2 uvicorn workers: one version per stage, and activities
that read as one serial history, whichever endpoints race (Databricks transition, approve, MLflow's own)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # helpers live next to the tests (this folder has no conftest)
from _registry_support import (
    APPROVE,
    DATABRICKS_TRANSITION,
    MLFLOW_TRANSITION,
    Api,
    activities,
    assert_serial_history,
    request_statuses,
    run_concurrently,
    unique_model,
)

from local_workspace.launcher import start_workspace

pytestmark = pytest.mark.slow  # servers of its own, 16-40 concurrent writers

MIXES = {
    "databricks": [DATABRICKS_TRANSITION],
    "approve": [APPROVE],
    "mlflow": [MLFLOW_TRANSITION],
    "approve+mlflow": [APPROVE, MLFLOW_TRANSITION],
    "all": [DATABRICKS_TRANSITION, APPROVE, MLFLOW_TRANSITION],
}


@pytest.fixture(scope="module", params=[1, 2], ids=["1-worker", "2-workers"])
def server(request, tmp_path_factory):
    ws = start_workspace(tmp_path_factory.mktemp(f"races-{request.param}"), workers=request.param, timeout=300)
    try:
        yield ws, Api(ws.url, ws.token)
    finally:
        ws.stop()


def _race_to(api: Api, name: str, versions: list[str], endpoints: list[str], stage: str, archive: bool) -> None:
    plan = [(v, endpoints[i % len(endpoints)]) for i, v in enumerate(versions)]
    for version, endpoint in plan:
        if endpoint == APPROVE:
            api.request_transition(name, version, stage)
    results = run_concurrently([(lambda v=v, e=e: api.change_stage(e, name, v, stage, archive)) for v, e in plan])
    failures = [
        (v, e, r if isinstance(r, Exception) else (r.status_code, r.text))
        for (v, e), r in zip(plan, results, strict=True)
        if isinstance(r, Exception) or r.status_code != 200
    ]
    assert not failures, failures


@pytest.mark.parametrize("mix", list(MIXES))
def test_concurrent_archiving_transitions_leave_one_version_in_the_stage(server, mix):
    ws, api = server
    name = unique_model(f"race-{mix}")
    versions = api.new_model(name, 16)
    _race_to(api, name, versions, MIXES[mix], "Production", archive=True)

    stages = api.stages(name, versions)
    in_production = [v for v, s in stages.items() if s == "Production"]
    assert len(in_production) == 1, stages
    assert all(s == "Archived" for v, s in stages.items() if v != in_production[0]), stages
    assert_serial_history(activities(ws.data_dir, name), versions, in_production[0], "Production")
    approved = [v for i, v in enumerate(versions) if MIXES[mix][i % len(MIXES[mix])] == APPROVE]
    assert request_statuses(ws.data_dir, name) == {(v, "APPROVED"): 1 for v in approved}


def test_many_writers_of_every_kind_on_two_stages(server):
    """40 writers: half race to Staging, half to Production, through every endpoint."""
    ws, api = server
    name = unique_model("race-two-stages")
    versions = api.new_model(name, 40)
    plan = [
        (v, "Staging" if i % 2 else "Production", [DATABRICKS_TRANSITION, APPROVE, MLFLOW_TRANSITION][i % 3])
        for i, v in enumerate(versions)
    ]
    for v, stage, endpoint in plan:
        if endpoint == APPROVE:
            api.request_transition(name, v, stage)
    results = run_concurrently([(lambda v=v, s=s, e=e: api.change_stage(e, name, v, s, True)) for v, s, e in plan])
    assert all(not isinstance(r, Exception) and r.status_code == 200 for r in results), results

    stages = api.stages(name, versions)
    acts = activities(ws.data_dir, name)
    for stage in ("Staging", "Production"):
        group = [v for v, s, _ in plan if s == stage]
        holders = [v for v in group if stages[v] == stage]
        assert len(holders) == 1, (stage, stages)
        assert all(stages[v] == "Archived" for v in group if v != holders[0]), stages
        assert_serial_history([a for a in acts if a["version"] in group], group, holders[0], stage)


@pytest.mark.parametrize("endpoint", [DATABRICKS_TRANSITION, APPROVE, MLFLOW_TRANSITION])
def test_without_archiving_several_versions_share_a_stage(server, endpoint):
    """MLflow's semantics: archive_existing_versions=false leaves the other versions where they are."""
    ws, api = server
    name = unique_model("no-archive")
    versions = api.new_model(name, 10)
    _race_to(api, name, versions, [endpoint], "Staging", archive=False)
    assert api.stages(name, versions) == {v: "Staging" for v in versions}
    assert not [a for a in activities(ws.data_dir, name) if a["activity_type"] == "SYSTEM_TRANSITION"]


def test_one_request_is_decided_once(server):
    """Ten approvals and ten rejections of the same open request: exactly one decision wins."""
    ws, api = server
    name = unique_model("decide-once")
    (version,) = api.new_model(name, 1)
    api.request_transition(name, version, "Production")
    approve = {"name": name, "version": version, "stage": "Production", "archive_existing_versions": True}
    reject = {"name": name, "version": version, "stage": "Production"}
    results = run_concurrently(
        [(lambda: api.call("POST", APPROVE, json=approve)) for _ in range(10)]
        + [(lambda: api.call("POST", "transition-requests/reject", json=reject)) for _ in range(10)]
    )
    codes = [r.status_code for r in results]
    assert codes.count(200) == 1, [(r.status_code, r.text) for r in results]
    assert all(c == 404 for c in codes if c != 200), codes
    decisions = [
        a for a in activities(ws.data_dir, name) if a["activity_type"] in ("APPROVED_REQUEST", "REJECTED_REQUEST")
    ]
    assert len(decisions) == 1
    expected_stage = "Production" if decisions[0]["activity_type"] == "APPROVED_REQUEST" else "None"
    assert api.stage(name, version) == expected_stage


def test_mlflow_transition_keeps_its_own_validation(server):
    """MLflow's endpoint, now serialized and journaled, still refuses what MLflow refuses, and records nothing."""
    ws, api = server
    name = unique_model("mlflow-validation")
    (version,) = api.new_model(name, 1)
    bad_stage = api.change_stage(MLFLOW_TRANSITION, name, version, "Bogus", False)
    assert bad_stage.status_code == 400 and bad_stage.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    archive_to_inactive = api.change_stage(MLFLOW_TRANSITION, name, version, "Archived", True)
    assert archive_to_inactive.status_code >= 400 and "not an Active stage" in archive_to_inactive.json()["message"]
    missing = api.change_stage(MLFLOW_TRANSITION, name, "99", "Staging", False)
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert api.stage(name, version) == "None"
    assert activities(ws.data_dir, name) == []
