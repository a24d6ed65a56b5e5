"""Widget parsing: documented defaults work as-is, bad values are named precisely."""

from __future__ import annotations

import pytest

from churn.settings import (
    RETRAIN_WIDGETS,
    TEST_WIDGETS,
    CandidateTestSettings,
    RetrainSettings,
    SettingsError,
)


def getter(widgets, **overrides):
    values = {name: default for name, (default, _label) in widgets.items()} | overrides
    return values.__getitem__


def test_defaults_parse_and_match_the_dataclass_defaults():
    parsed = CandidateTestSettings.from_widgets(getter(TEST_WIDGETS))
    assert parsed == CandidateTestSettings()
    retrain = RetrainSettings.from_widgets(getter(RETRAIN_WIDGETS))
    assert retrain.training.model_name == "Churn Prediction Bank"
    assert retrain.training.timeout_minutes == 0.25 and retrain.registry_uri == "databricks"
    assert retrain.as_of == ""  # all rows
    assert RetrainSettings.from_widgets(getter(RETRAIN_WIDGETS, as_of=" 2025-03-01 ")).as_of == "2025-03-01"


@pytest.mark.parametrize(
    "widgets, overrides, match",
    [
        (TEST_WIDGETS, {"min_f1": "abc"}, "min_f1 must be a number"),
        (TEST_WIDGETS, {"max_f1_drop": "1.5"}, r"max_f1_drop must be in \[0.0, 1.0\]"),
        (TEST_WIDGETS, {"max_p95_latency_ms": "0"}, "max_p95_latency_ms"),
        (TEST_WIDGETS, {"mode": "yolo"}, "mode must be one of"),
        (TEST_WIDGETS, {"source_table": "raw_data"}, "source_table"),
        (RETRAIN_WIDGETS, {"timeout_minutes": "nan"}, "timeout_minutes"),
        (RETRAIN_WIDGETS, {"primary_metric": "auc"}, "primary_metric"),
        (RETRAIN_WIDGETS, {"model_name": "  "}, "model_name must not be empty"),
        (RETRAIN_WIDGETS, {"as_of": "March"}, "widget as_of must be a date YYYY-MM-DD"),
        (TEST_WIDGETS, {"max_psi": "0"}, "max_psi must be in > 0.0"),
    ],
)
def test_bad_widget_values_are_named(widgets, overrides, match):
    parse = CandidateTestSettings.from_widgets if widgets is TEST_WIDGETS else RetrainSettings.from_widgets
    with pytest.raises(SettingsError, match=match):
        parse(getter(widgets, **overrides))
