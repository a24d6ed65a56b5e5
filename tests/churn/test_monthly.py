"""The table grows by month: appending is idempotent per month, drift is realistic but bounded, `as_of` picks the
months a retraining run may see, and a training run records exactly that data."""

from __future__ import annotations

import shutil

import mlflow
import pandas as pd
import pytest

from churn import seed
from churn.drift import feature_psi
from churn.lineage import load_training_data, log_training_data, recorded_training_data
from churn.monthly import BASE_MONTH, MONTHLY_ROWS, add_months, filter_as_of, month_batch, parse_as_of
from churn.schema import MONTH_COLUMN, TABLE_NAME
from churn.storage import read_table, read_table_version, write_table


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """The base month (2,000 rows) plus two appended months, as `python -m churn.seed` writes them."""
    data_dir = tmp_path_factory.mktemp("monthly")
    seed.seed_table(data_dir, rows=2_000)
    seed.append_month(data_dir)
    seed.append_month(data_dir)
    return data_dir


def test_each_append_adds_the_next_month_of_new_customers_as_a_new_table_version(grown):
    table, version = read_table_version(TABLE_NAME, grown / "warehouse")
    assert version == 2  # seed, then one Delta version per appended month
    assert table[MONTH_COLUMN].value_counts().sort_index().to_dict() == {
        BASE_MONTH: 2_000,
        add_months(BASE_MONTH, 1): MONTHLY_ROWS,
        add_months(BASE_MONTH, 2): MONTHLY_ROWS,
    }
    assert table["CustomerId"].is_unique and table["RowNumber"].is_unique
    assert len(read_table(TABLE_NAME, grown / "warehouse", version=0)) == 2_000  # time travel to the first seed


def test_appending_a_month_twice_adds_nothing(tmp_path, capsys):
    seed.seed_table(tmp_path, rows=500)
    assert seed.main(["--data-dir", str(tmp_path), "--append-month", "2025-02"]) == 0
    assert seed.main(["--data-dir", str(tmp_path), "--append-month", "2025-02"]) == 0
    out = capsys.readouterr().out
    assert "wrote 2500 rows of month 2025-02" in out and "already has month 2025-02: left unchanged" in out
    assert len(read_table(TABLE_NAME, tmp_path / "warehouse")) == 500 + MONTHLY_ROWS
    with pytest.raises(SystemExit):  # earlier than the table's last month: months go in order
        seed.main(["--data-dir", str(tmp_path), "--append-month", "2024-12"])
    assert "appended in order" in capsys.readouterr().err


def test_append_month_on_a_missing_table_seeds_the_base_month(tmp_path):
    result = seed.append_month(tmp_path)
    assert result.written and result.month == BASE_MONTH and result.rows == 10_000


def test_a_table_seeded_before_months_existed_grows_too(tmp_path):
    from churn.data import generate_churn_data

    write_table(generate_churn_data(300), TABLE_NAME, tmp_path / "warehouse")  # no snapshot_month column
    assert seed.append_month(tmp_path).month == add_months(BASE_MONTH, 1)
    rows, record = load_training_data(TABLE_NAME, "", warehouse=tmp_path / "warehouse")
    assert record.months == [BASE_MONTH, add_months(BASE_MONTH, 1)] and record.n_rows == 300 + MONTHLY_ROWS


def test_monthly_drift_is_realistic_but_bounded(grown):
    table = read_table(TABLE_NAME, grown / "warehouse")
    by_month = table.groupby(MONTH_COLUMN).agg(age=("Age", "mean"), churn=("Exited", "mean"))
    assert by_month["age"].is_monotonic_increasing and by_month["age"].iloc[-1] - by_month["age"].iloc[0] < 2
    assert by_month["churn"].min() > 0.15 and by_month["churn"].max() < 0.3
    # A year on, one month's customers differ clearly from the base month's, yet a year of training data
    # (what retraining compares) moved far less than the default max_psi.
    year_on = month_batch(add_months(BASE_MONTH, 12), table["CustomerId"], 1)
    base = table[table[MONTH_COLUMN] == BASE_MONTH]
    assert 0.1 < max(feature_psi(base, year_on).values()) < 1.0
    assert max(feature_psi(base, pd.concat([table, year_on])).values()) < 0.1


@pytest.mark.parametrize(
    ("as_of", "months"),
    [
        ("", ["2025-01", "2025-02", "2025-03"]),
        ("2025-02-01", ["2025-01"]),  # the data interval ending 1 Feb: January only
        ("2025-02-15", ["2025-01", "2025-02"]),  # mid-month: the month begun so far
        ("2025-03-01", ["2025-01", "2025-02"]),
        ("2030-01-01", ["2025-01", "2025-02", "2025-03"]),
    ],
)
def test_as_of_keeps_the_months_that_began_before_it(grown, as_of, months):
    rows, record = load_training_data(TABLE_NAME, as_of, warehouse=grown / "warehouse")
    assert sorted(rows[MONTH_COLUMN].unique()) == months
    assert record.months == [months[0], months[-1]] and record.n_rows == len(rows) and record.delta_version == 2


def test_as_of_errors_are_clear(grown):
    table = read_table(TABLE_NAME, grown / "warehouse")
    with pytest.raises(ValueError, match="no rows before as_of 2024-06-01: the table's months are"):
        filter_as_of(table, "2024-06-01")
    with pytest.raises(ValueError, match="as_of must be a date YYYY-MM-DD"):
        parse_as_of("March")


def test_training_run_records_the_table_version_and_as_of_and_rebuilds_the_same_rows(grown, local_mlflow, tmp_path):
    data_dir = shutil.copytree(grown, tmp_path / "workspace")
    rows, record = load_training_data(TABLE_NAME, "2025-03-01", warehouse=data_dir / "warehouse")
    with mlflow.start_run() as run:
        log_training_data(rows, record)
    logged = mlflow.get_run(run.info.run_id)
    dataset = logged.inputs.dataset_inputs[0].dataset
    assert dataset.name == f"{TABLE_NAME}@v2<2025-03-01" and TABLE_NAME in dataset.source
    assert recorded_training_data(logged.data.tags) == record
    seed.append_month(data_dir)  # the table grows after training ...
    again, _ = load_training_data(
        TABLE_NAME, record.as_of, warehouse=data_dir / "warehouse", version=record.delta_version
    )
    pd.testing.assert_frame_equal(again, rows)  # ... the recorded data is still exactly what was trained on
