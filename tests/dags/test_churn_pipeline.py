"""The DAGs' helpers: job profiles, result contracts, request selection, notebook runs against a real workspace."""

from __future__ import annotations

import json

import pytest

from churn_pipeline.config import JobConfigError, load_config, parse_config
from churn_pipeline.notebook_run import NotebookRunOperator, encode_parameters, idempotency_token
from churn_pipeline.registry_mode import requested_model_name
from churn_pipeline.results import CandidateTestResult, NotebookResultError, TrainingResult, request_comment
from churn_pipeline.steps import select_requests

GOOD_PROFILE = {"polling_period_seconds": 5, "timeout_seconds": 60, "new_cluster": {"num_workers": 0}}
SOURCES = {"workspace": {"type": "WORKSPACE", "root": "/nb"}}


def test_bundled_config_has_real_databricks_profiles():
    config = load_config()
    assert {"local", "single_node", "job_cluster", "serverless"} <= set(config.profiles)
    single = config.profile("single_node").task_compute()["new_cluster"]
    assert single["spark_version"].endswith("-ml-scala2.12") and single["num_workers"] == 0
    assert single["spark_conf"]["spark.databricks.cluster.profile"] == "singleNode"
    assert config.profile("serverless").task_compute() == {}
    assert config.profile("local").polling_period_seconds <= 5
    assert config.profile("single_node").polling_period_seconds == 30
    git = config.source("git")
    assert git.type == "GIT" and git.git_source["git_provider"] and git.notebook_path("x") == "include/notebooks/x"


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"profiles": {}, "notebook_sources": SOURCES}, "profiles"),
        ({"profiles": {"p": {**GOOD_PROFILE, "timeout_seconds": 0}}, "notebook_sources": SOURCES}, "timeout_seconds"),
        ({"profiles": {"p": {**GOOD_PROFILE, "existing_cluster_id": "abc"}}, "notebook_sources": SOURCES}, "both"),
        ({"profiles": {"p": GOOD_PROFILE}, "notebook_sources": {"g": {"type": "GIT", "root": "nb"}}}, "git_url"),
        (
            {
                "profiles": {"p": GOOD_PROFILE},
                "notebook_sources": {
                    "g": {
                        "type": "GIT",
                        "root": "nb",
                        "git_source": {"git_url": "u", "git_provider": "gitHub", "git_branch": "m", "git_tag": "t"},
                    }
                },
            },
            "exactly one",
        ),
        ({"profiles": {"p": GOOD_PROFILE}, "notebook_sources": SOURCES, "default_profile": "nope"}, "nope"),
    ],
)
def test_bad_job_config_is_refused_with_the_reason(raw, match):
    with pytest.raises(JobConfigError, match=match):
        parse_config(raw)


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(JobConfigError, match="single_node"):
        load_config().profile("huge_gpu")


def test_idempotency_token_differs_per_try_and_fits_databricks_limit():
    first = idempotency_token("dag", "manual__2026-11-28T18:49:07.123456+00:00" * 3, "task", 0, 1)
    retry = idempotency_token("dag", "manual__2026-11-28T18:49:07.123456+00:00" * 3, "task", 0, 2)
    other_index = idempotency_token("dag", "manual__2026-11-28T18:49:07.123456+00:00" * 3, "task", 1, 1)
    assert len({first, retry, other_index}) == 3
    assert all(len(token) <= 64 for token in (first, retry, other_index))
    assert first == idempotency_token("dag", "manual__2026-11-28T18:49:07.123456+00:00" * 3, "task", 0, 1)


def test_parameters_are_sent_as_strings():
    encoded = encode_parameters({"a": "x", "n": 0.25, "flag": True, "event": {"version": "3"}})
    assert encoded == {"a": "x", "n": "0.25", "flag": "true", "event": '{"version": "3"}'}
    with pytest.raises(ValueError, match="'missing'"):
        encode_parameters({"missing": None})


def test_operator_refuses_empty_base_parameters():
    with pytest.raises(ValueError, match="base_parameters"):
        NotebookRunOperator(task_id="t", notebook="retrain_churn_model", base_parameters={})


TRAINING = {
    "model_name": "m",
    "version": "3",
    "run_id": "r",
    "metrics": {"holdout_f1": 0.6, "baseline_val_f1": 0.5},
    "n_rows": 100,
    "automl_backend": "flaml",
}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"version": "three"}, "version"),
        ({"version": True}, "version"),
        ({"metrics": {"f1": "high"}}, "f1"),
        ({"n_rows": 0}, "n_rows"),
        ({"model_name": None}, "model_name"),
    ],
)
def test_training_result_contract_violations_are_named(change, match):
    with pytest.raises(NotebookResultError, match=match):
        TrainingResult.parse({**TRAINING, **change})


def test_training_comment_leads_with_holdout_metrics_and_links_the_run():
    result = TrainingResult.parse({**TRAINING, "version": 3})
    assert result.version == "3"
    comment = request_comment(result, "https://ws/#job/runs/7")
    assert comment.index("holdout_f1") < comment.index("baseline_val_f1")
    assert "https://ws/#job/runs/7" in comment and "Ready for testing" in comment


def test_test_result_contract():
    parsed = CandidateTestResult.parse(
        {
            "passed": False,
            "checks": [
                {"name": "input_schema", "passed": False, "measured": 9, "threshold": 10, "detail": "Age missing"},
                {"name": "holdout_quality", "passed": True},
            ],
            "report_markdown": "| x |",
        }
    )
    assert parsed.failed_checks == ["input_schema"]
    with pytest.raises(NotebookResultError, match="passed"):
        CandidateTestResult.parse({"passed": "yes", "checks": []})
    with pytest.raises(NotebookResultError, match=r"checks\[0\]"):
        CandidateTestResult.parse({"passed": True, "checks": [{"passed": True}]})


def test_select_requests_keeps_all_or_only_the_named_versions():
    events = [{"version": "2"}, {"version": "3"}, {"version": "10"}]
    assert select_requests(events, "") == events
    assert select_requests(events, "3, 10") == [{"version": "3"}, {"version": "10"}]
    assert select_requests(None, "") == []


def test_asset_event_names_the_model_of_an_asset_triggered_run():
    class Event:
        def __init__(self, name, stamp):
            self.extra, self.timestamp = {"model_name": name}, stamp

    params = {"model_name": "Default"}
    assert requested_model_name(params, {}) == "Default"
    assert requested_model_name(params, {"asset": [Event("Older", 1), Event("Newer", 2)]}) == "Newer"


def test_failure_notifier_summarises_and_hands_over_to_the_configured_notifier(tmp_path, monkeypatch):
    from churn_pipeline.notifications import FailureNotifier, failure_summary

    class TI:
        dag_id, task_id, map_index, try_number = "d", "t", 2, 3

    context = {"ti": TI(), "run_id": "r1", "exception": RuntimeError("boom")}
    assert failure_summary(context) == "Churn pipeline failure: d.t[2] run r1 try 3: boom"
    (tmp_path / "my_alerts.py").write_text("calls = []\ndef build():\n    return calls.append\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("CHURN_FAILURE_NOTIFIER", "my_alerts:build")
    FailureNotifier().notify(context)
    import my_alerts

    assert my_alerts.calls == [context]
    monkeypatch.setenv("CHURN_FAILURE_NOTIFIER", "no_such_module:build")
    FailureNotifier().notify(context)  # a broken notifier setting never raises over the original failure


def test_review_step_returns_at_once_when_no_review_is_asked():
    from churn_pipeline.approval import ReviewOperator, review_answer

    class _TI:
        pushed: dict = {}

        def xcom_push(self, key, value):
            self.pushed[key] = value

    review = ReviewOperator(task_id="review", subject="s", body="b")
    ti = _TI()
    assert review.execute({"params": {"require_human_approval": False}, "ti": ti}) is None
    # An explicit (null) answer exists, so the decision task's pull finds it instead of logging "XCom not found".
    assert ti.pushed == {"return_value": None}
    answer = review_answer({"chosen_options": ["Reject"], "responded_by_user": {"id": "7", "name": "ana"}}, False)
    assert answer["approved"] is False and answer["approver"] == "ana"


class _FakeTI:
    """The slice of a task instance the provider's submit path uses (XCom pushes, ids for the token)."""

    def __init__(self, try_number: int, run_id: str = "r"):
        self.dag_id, self.run_id, self.task_id, self.map_index, self.try_number = "d", run_id, "t", -1, try_number
        self.xcoms: dict = {}

    def xcom_push(self, key, value):
        self.xcoms[key] = value


@pytest.mark.notebook
def test_each_try_submits_its_own_run_with_the_profile_compute(workspace, tmp_path, monkeypatch):
    """Against a real local workspace: a retry gets a new run (not the failed one), the payload has the compute
    of the chosen profile and the explicit parameters."""
    from databricks.sdk import WorkspaceClient

    local = load_config().profile("local")
    config = tmp_path / "jobs.yaml"  # JSON is YAML
    config.write_text(
        json.dumps(
            {
                "profiles": {
                    "local": {"polling_period_seconds": 1, "timeout_seconds": 120, "new_cluster": local.new_cluster}
                },
                # The session's workspace serves this repository: tests/dags/stub_notebooks/echo.py.
                "notebook_sources": {"workspace": {"type": "WORKSPACE", "root": "/tests/dags/stub_notebooks"}},
            }
        )
    )
    monkeypatch.setenv("CHURN_DATABRICKS_CONFIG", str(config))
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_DEFAULT", workspace.airflow_connection_json())
    client = WorkspaceClient(host=workspace.url, token=workspace.token)
    # Tokens derive from dag/run/task/try: a run id of its own keeps them apart from any other test's.
    run_id = f"manual__{tmp_path.name}"

    def attempt(try_number):
        op = NotebookRunOperator(
            task_id="t",
            notebook="echo",
            base_parameters={"x": 1},
            cluster_profile="local",
            polling_period_seconds=1,
            durable=False,
        )
        ti = _FakeTI(try_number, run_id)
        op.execute({"ti": ti, "params": {}})
        return ti.xcoms["run_id"], op

    first, op = attempt(1)
    again, _ = attempt(1)
    retry, _ = attempt(2)
    assert first == again, "same try, same token: Databricks returns the existing run"
    assert retry != first, "a retry must not be handed the previous try's run"
    run = client.jobs.get_run(retry)
    task = run.tasks[0]
    assert task.notebook_task.base_parameters == {"x": "1"}
    output = client.jobs.get_run_output(task.run_id)
    assert json.loads(output.notebook_output.result) == {"x": "1"}
    assert op.tasks[0]["new_cluster"]["spark_version"].endswith("-ml-scala2.12")


def test_registry_mode_and_model_of_a_run(monkeypatch):
    from churn_contract.options import DEFAULT_MODEL_NAME
    from churn_contract.unity_catalog import DEFAULT_UC_MODEL_NAME
    from churn_pipeline.registry_mode import RunTarget, default_registry, run_target

    assert run_target({"registry": "workspace", "model_name": None}) == RunTarget("workspace", DEFAULT_MODEL_NAME)
    assert run_target({"registry": "uc", "model_name": None}) == RunTarget("uc", DEFAULT_UC_MODEL_NAME)
    assert run_target({"registry": "uc", "model_name": "dev.ml.churn"}) == RunTarget("uc", "dev.ml.churn")
    with pytest.raises(ValueError, match="catalog.schema.model when registry is uc"):
        run_target({"registry": "uc", "model_name": "Churn Prediction Bank"})
    with pytest.raises(ValueError, match="param registry must be one of"):
        run_target({"registry": "legacy"})

    class Event:
        def __init__(self, extra, stamp):
            self.extra, self.timestamp = extra, stamp

    # An Asset-triggered run follows the event, in its registry (a three-level name is Unity Catalog's).
    events = {"asset": [Event({"model_name": "main.churn.a", "registry": "uc"}, 2), Event({"model_name": "Old"}, 1)]}
    assert run_target({"registry": "workspace"}, events) == RunTarget("uc", "main.churn.a")
    assert run_target({"registry": "workspace"}, {"a": [Event({"model_name": "main.churn.b"}, 1)]}).registry == "uc"

    monkeypatch.setenv("CHURN_REGISTRY", "uc")
    assert default_registry() == "uc" and run_target({}).model_name == DEFAULT_UC_MODEL_NAME
    monkeypatch.setenv("CHURN_REGISTRY", "unity")
    with pytest.raises(ValueError, match="env CHURN_REGISTRY must be one of"):
        default_registry()


def test_a_training_result_from_the_other_registry_is_refused():
    from churn_pipeline.registry_mode import RunTarget
    from churn_pipeline.steps import validated_training_result

    exit_value = {"model_name": "main.churn.m", "version": "1", "run_id": "r", "metrics": {}, "n_rows": 5}
    with pytest.raises(NotebookResultError, match="workspace registry, but this run was asked for the uc registry"):
        validated_training_result(exit_value, None, RunTarget("uc", "main.churn.m"))
    read = validated_training_result({**exit_value, "registry": "uc"}, None, RunTarget("uc", "main.churn.m"))
    assert read["registry"] == "uc" and read["version"] == "1"
