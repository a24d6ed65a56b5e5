"""Delta storage round trip, name resolution, clear errors, and the idempotent seed command."""

from __future__ import annotations

import pandas as pd
import pytest
from deltalake import DeltaTable

from churn import seed
from churn.data import generate_churn_data
from churn.schema import TABLE_NAME
from churn.storage import TableNotFoundError, read_table, table_path, write_table


def test_round_trip_keeps_rows_and_dtypes(tmp_path):
    frame = generate_churn_data(300, seed=5)
    path = write_table(frame, TABLE_NAME, tmp_path)
    assert path == tmp_path / "bank_churn_analysis" / "raw_data"
    assert DeltaTable(str(path)).version() == 0  # a real Delta table
    pd.testing.assert_frame_equal(read_table(TABLE_NAME, tmp_path), frame)


def test_reads_the_warehouse_from_the_environment(tmp_path, monkeypatch):
    write_table(generate_churn_data(50), TABLE_NAME, tmp_path)
    monkeypatch.setenv("LOCAL_WORKSPACE_WAREHOUSE_DIR", str(tmp_path))
    assert len(read_table(TABLE_NAME)) == 50
    assert len(read_table(f"main.{TABLE_NAME}")) == 50  # a catalog prefix is accepted and ignored locally


def test_missing_table_names_the_path_and_the_seed_command(tmp_path):
    with pytest.raises(TableNotFoundError, match=r"not found at .*raw_data.*churn\.seed"):
        read_table(TABLE_NAME, tmp_path)


@pytest.mark.parametrize("name", ["raw_data", "a.b.c.d", "bank churn.raw", "x.y;drop", ""])
def test_bad_table_names_are_rejected(name, tmp_path):
    with pytest.raises(ValueError, match="schema.table"):
        table_path(name, tmp_path)


def test_write_refuses_to_clobber_unless_asked(tmp_path):
    write_table(generate_churn_data(20), TABLE_NAME, tmp_path)
    from deltalake.exceptions import DeltaError

    with pytest.raises(DeltaError, match="already exists"):
        write_table(generate_churn_data(30), TABLE_NAME, tmp_path)
    write_table(generate_churn_data(30), TABLE_NAME, tmp_path, mode="overwrite")
    assert len(read_table(TABLE_NAME, tmp_path)) == 30
    with pytest.raises(ValueError, match="mode"):
        write_table(generate_churn_data(5), TABLE_NAME, tmp_path, mode="merge")


def test_seed_command_is_idempotent_and_force_replaces(tmp_path, capsys):
    assert seed.main(["--data-dir", str(tmp_path), "--rows", "200", "--seed", "1"]) == 0
    assert "wrote 200 rows" in capsys.readouterr().out
    warehouse = tmp_path / "warehouse"
    first = read_table(TABLE_NAME, warehouse)

    seed.main(["--data-dir", str(tmp_path), "--rows", "999"])
    assert "left unchanged" in capsys.readouterr().out
    pd.testing.assert_frame_equal(read_table(TABLE_NAME, warehouse), first)

    seed.main(["--data-dir", str(tmp_path), "--rows", "120", "--force"])
    assert "wrote 120 rows" in capsys.readouterr().out
    assert len(read_table(TABLE_NAME, warehouse)) == 120


def test_seed_rejects_a_non_positive_row_count(tmp_path):
    with pytest.raises(SystemExit):
        seed.main(["--data-dir", str(tmp_path), "--rows", "0"])
    assert not (tmp_path / "warehouse").exists()
