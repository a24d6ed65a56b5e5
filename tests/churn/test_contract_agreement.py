"""One source per fact: the promotion/retraining DAG params, the notebooks' inline widgets and the notebook
settings all carry the defaults, bounds and choices of `churn_contract.options`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from churn.settings import RETRAIN_WIDGETS, TEST_WIDGETS, WIDGET_CHOICES, CandidateTestSettings, RetrainSettings
from churn_contract.options import (
    DEFAULT_MODEL_NAME,
    DEFAULT_PRIMARY_METRIC,
    DEFAULT_SOURCE_TABLE,
    DEFAULT_TARGET_COL,
    PRIMARY_METRICS,
    TEST_MODES,
    THRESHOLD_NAMES,
    CandidateTestOptions,
)
from churn_pipeline.registry_mode import requested_model_name

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO_ROOT / "include" / "notebooks"
OPTIONS = CandidateTestOptions.model_fields


def inline_widgets(notebook: str) -> dict[str, tuple]:
    """The literal `dbutils.widgets.text/dropdown(...)` calls of the notebook's first code cell, in order."""
    from local_workspace.runner.parser import parse_notebook

    cells = [c for c in parse_notebook((NOTEBOOKS / f"{notebook}.py").read_text()) if c.kind != "markdown"]
    assert cells[0].kind == "python", f"{notebook}: the widgets must be the first cell, before %pip and imports"
    widgets = {}
    for statement in ast.parse(cells[0].source).body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        assert isinstance(call, ast.Call) and ast.unparse(call.func) in (
            "dbutils.widgets.text",
            "dbutils.widgets.dropdown",
        ), f"{notebook}: the first cell only declares widgets, found {ast.unparse(statement)!r}"
        args = [ast.literal_eval(arg) for arg in call.args]  # literals: visible to a reader, no helper needed
        widgets[args[0]] = (call.func.attr, *args[1:])
    return widgets


def expected_widgets(spec: dict[str, tuple[str, str]]) -> dict[str, tuple]:
    return {
        name: ("dropdown", default, WIDGET_CHOICES[name], label) if name in WIDGET_CHOICES else ("text", default, label)
        for name, (default, label) in spec.items()
    }


@pytest.mark.parametrize(
    ("notebook", "spec"), [("retrain_churn_model", RETRAIN_WIDGETS), ("test_candidate_model", TEST_WIDGETS)]
)
def test_notebook_widgets_are_the_settings_widgets(notebook, spec):
    declared = inline_widgets(notebook)
    assert list(declared) == list(spec)  # same names, same order
    assert declared == expected_widgets(spec)


def test_test_widgets_carry_the_contract_options():
    for name, field in OPTIONS.items():
        default, label = TEST_WIDGETS[name]
        assert label == field.title
        assert CandidateTestOptions.model_validate({name: default}) == CandidateTestOptions()
    assert WIDGET_CHOICES["mode"] == list(TEST_MODES)
    assert WIDGET_CHOICES["primary_metric"] == list(PRIMARY_METRICS)


def test_settings_parsed_from_default_widgets_are_the_contract_defaults():
    widgets = {name: default for name, (default, _label) in TEST_WIDGETS.items()}
    parsed = CandidateTestSettings.from_widgets(widgets.__getitem__)
    assert parsed == CandidateTestSettings()
    assert (
        parsed.thresholds() == CandidateTestOptions().thresholds() == {n: OPTIONS[n].default for n in THRESHOLD_NAMES}
    )
    assert (parsed.mode, parsed.source_table, parsed.target_col) == (
        "enforce",
        DEFAULT_SOURCE_TABLE,
        DEFAULT_TARGET_COL,
    )
    retrain = RetrainSettings.from_widgets(
        {name: default for name, (default, _) in RETRAIN_WIDGETS.items()}.__getitem__
    )
    assert retrain.training.model_name == DEFAULT_MODEL_NAME
    assert retrain.training.primary_metric == DEFAULT_PRIMARY_METRIC
    assert (retrain.source_table, retrain.training.target_col) == (DEFAULT_SOURCE_TABLE, DEFAULT_TARGET_COL)


@pytest.fixture(scope="module")
def dags():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO_ROOT / "dags"))
    assert bag.import_errors == {}
    return bag.dags


def test_promotion_params_are_the_test_notebook_options(dags):
    params = dags["churn_model_promotion"].params
    for name, field in OPTIONS.items():
        param = params.get_param(name)
        assert param.value == field.default, name
        assert param.description == field.description, name
        assert str(param.value) == TEST_WIDGETS[name][0] or float(param.value) == float(TEST_WIDGETS[name][0])
    bounds = {
        n: {k: params.get_param(n).schema.get(k) for k in ("minimum", "maximum", "exclusiveMinimum")}
        for n in THRESHOLD_NAMES
    }
    schema = CandidateTestOptions.model_json_schema()["properties"]
    assert bounds == {
        n: {k: schema[n].get(k) for k in ("minimum", "maximum", "exclusiveMinimum")} for n in THRESHOLD_NAMES
    }
    assert params.get_param("mode").schema["enum"] == list(TEST_MODES) == WIDGET_CHOICES["mode"]
    # A null model_name is the mode's default: the workspace registry's is the notebooks' widget default.
    assert params.get_param("model_name").value is None
    assert requested_model_name({"registry": "workspace"}) == DEFAULT_MODEL_NAME == RETRAIN_WIDGETS["model_name"][0]


def test_promotion_sends_every_option_to_its_widget(dags):
    run_tests = dags["churn_model_promotion"].get_task("candidate.run_tests")
    sent = run_tests.tasks[0]["notebook_task"]["base_parameters"]
    assert {name: sent[name] for name in OPTIONS} == {name: f"{{{{ params.{name} }}}}" for name in OPTIONS}
    assert set(sent) <= set(TEST_WIDGETS)


def test_retraining_params_are_the_retrain_notebook_widgets(dags):
    params = dags["churn_model_retraining"].params
    for name in ("source_table", "target_col", "primary_metric"):
        assert params.get_param(name).value == RETRAIN_WIDGETS[name][0], name
    assert requested_model_name({"registry": "workspace", "model_name": None}) == RETRAIN_WIDGETS["model_name"][0]
    assert params.get_param("registry").schema["enum"] == WIDGET_CHOICES["registry"]
    assert params.get_param("registry").value == RETRAIN_WIDGETS["registry"][0]
    assert (
        params.get_param("primary_metric").schema["enum"] == list(PRIMARY_METRICS) == WIDGET_CHOICES["primary_metric"]
    )


def test_retraining_sends_its_data_interval_as_the_as_of_widget(dags):
    sent = dags["churn_model_retraining"].get_task("retrain_model").tasks[0]["notebook_task"]["base_parameters"]
    assert set(sent) <= set(RETRAIN_WIDGETS)
    assert "data_interval_end | ds" in sent["as_of"] and RETRAIN_WIDGETS["as_of"][0] == ""  # empty = all rows
