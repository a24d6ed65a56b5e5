"""The generator reproduces the public bank-churn table's shape and signal (REFERENCE.md §2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churn.data import DriftSpec, generate_churn_data, generate_drifted_batch
from churn.schema import TABLE_COLUMNS, TABLE_DTYPES


@pytest.fixture(scope="module")
def table():
    return generate_churn_data()  # the default 10,000 rows, seed 42


def test_schema_order_dtypes_and_no_nulls(table):
    assert len(table) == 10_000
    assert tuple(table.columns) == TABLE_COLUMNS
    assert {c: str(t) for c, t in table.dtypes.items()} == TABLE_DTYPES
    assert not table.isna().any().any()
    assert table["RowNumber"].tolist() == list(range(1, 10_001))
    assert table["CustomerId"].is_unique


def test_ranges(table):
    assert table["CreditScore"].between(350, 850).all()
    assert table["Age"].between(18, 92).all()
    assert table["Tenure"].between(0, 10).all()
    assert table["Balance"].between(0, 250_898.09).all()
    assert set(table["NumOfProducts"]) <= {1, 2, 3, 4}
    assert table["EstimatedSalary"].between(11.58, 199_992.48).all()
    assert (
        set(table["HasCrCard"]) == {0, 1} and set(table["IsActiveMember"]) == {0, 1} and set(table["Exited"]) == {0, 1}
    )


def test_marginals_within_tolerance(table):
    # Tolerances: ±2 percentage points on shares, ±3 on the means' scale noted per line.
    share = lambda col: table[col].value_counts(normalize=True)  # noqa: E731
    assert share("Geography")["France"] == pytest.approx(0.5014, abs=0.02)
    assert share("Geography")["Germany"] == pytest.approx(0.2509, abs=0.02)
    assert share("Gender")["Male"] == pytest.approx(0.5457, abs=0.02)
    assert share("NumOfProducts")[1] == pytest.approx(0.5084, abs=0.02)
    assert share("NumOfProducts")[3] == pytest.approx(0.0266, abs=0.01)
    assert table["HasCrCard"].mean() == pytest.approx(0.7055, abs=0.02)
    assert table["IsActiveMember"].mean() == pytest.approx(0.5151, abs=0.02)
    assert (table["Balance"] == 0).mean() == pytest.approx(0.36, abs=0.02)
    assert table["CreditScore"].mean() == pytest.approx(650.5, abs=5)
    assert table["CreditScore"].std() == pytest.approx(96.7, abs=5)
    assert table["Age"].mean() == pytest.approx(38.9, abs=1)
    assert table["Age"].median() == pytest.approx(37, abs=1)
    assert table["Age"].mean() > table["Age"].median()  # right-skewed
    tenure = table["Tenure"].value_counts()
    assert tenure[0] < tenure[5] and tenure[10] < tenure[5]
    assert table["Exited"].mean() == pytest.approx(0.2037, abs=0.015)


def test_churn_rates_by_group_within_three_points(table):
    rate = lambda col: table.groupby(col)["Exited"].mean()  # noqa: E731
    expected = {
        "Geography": {"France": 0.162, "Germany": 0.324, "Spain": 0.167},
        "Gender": {"Female": 0.251, "Male": 0.165},
        "IsActiveMember": {0: 0.269, 1: 0.143},
        "NumOfProducts": {1: 0.277, 2: 0.076},
    }
    for col, groups in expected.items():
        for group, value in groups.items():
            assert rate(col)[group] == pytest.approx(value, abs=0.03), (col, group)
    assert rate("NumOfProducts")[4] == 1.0
    assert rate("NumOfProducts")[3] == pytest.approx(0.83, abs=0.08)
    ages = table.groupby("Exited")["Age"].mean()
    assert ages[1] == pytest.approx(44.8, abs=1.5) and ages[0] == pytest.approx(37.4, abs=1.5)
    balances = table.groupby("Exited")["Balance"].mean()
    assert balances[1] > balances[0]
    # No churn signal in card ownership or salary.
    assert abs(rate("HasCrCard")[1] - rate("HasCrCard")[0]) < 0.03


def test_same_seed_same_table_other_seed_differs():
    a, b = generate_churn_data(500, seed=3), generate_churn_data(500, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not generate_churn_data(500, seed=4).equals(a)


@pytest.mark.parametrize("rows", [0, -5, 2.5, 10_000_000])
def test_bad_row_count_is_rejected(rows):
    with pytest.raises(ValueError, match="n_rows"):
        generate_churn_data(rows)


def test_drifted_batch_shifts_age_balance_nulls_and_labels():
    reference = generate_churn_data(4000, seed=11)
    drifted = generate_drifted_batch(4000, seed=11)
    assert tuple(drifted.columns) == TABLE_COLUMNS
    assert drifted["Age"].mean() - reference["Age"].mean() == pytest.approx(8, abs=1)
    assert drifted["Balance"].max() < 300  # thousands instead of units
    assert drifted["CreditScore"].isna().mean() == pytest.approx(0.05, abs=0.02)
    assert drifted["Exited"].mean() > reference["Exited"].mean() + 0.05


def test_drift_options_are_configurable_and_validated():
    batch = generate_churn_data(
        1000, seed=1, drift=DriftSpec(age_shift_years=0, balance_unit_factor=1.0, null_column=None, label_shift_logit=0)
    )
    assert not batch.isna().any().any()
    with pytest.raises(ValueError, match="null_column"):
        generate_drifted_batch(100, null_column="Exited")
    assert np.issubdtype(batch["Age"].dtype, np.integer)
