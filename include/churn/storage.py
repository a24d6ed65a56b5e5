"""Read and write tables by name: Spark on Databricks, a local Delta table (delta-rs) everywhere else.

Locally `schema.table` lives at `<warehouse>/<schema>/<table>`, where the warehouse defaults to
`$LOCAL_WORKSPACE_WAREHOUSE_DIR` (set by the local workspace's notebook runner).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from churn.schema import normalize_dtypes

WAREHOUSE_ENV = "LOCAL_WORKSPACE_WAREHOUSE_DIR"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TableNotFoundError(LookupError):
    """The named table does not exist where we looked."""


def parse_table_name(name: str) -> tuple[str, str]:
    """`[catalog.]schema.table` -> (schema, table); the catalog is ignored locally."""
    parts = name.split(".") if isinstance(name, str) else []
    if len(parts) not in (2, 3) or not all(_IDENTIFIER.match(p) for p in parts):
        raise ValueError(
            f"table name must look like 'schema.table' or 'catalog.schema.table' "
            f"(letters, digits, underscores), got {name!r}"
        )
    return parts[-2], parts[-1]


def warehouse_dir(override: str | os.PathLike | None = None) -> Path:
    if override is not None:
        return Path(override)
    value = os.environ.get(WAREHOUSE_ENV)
    if not value:
        raise TableNotFoundError(
            f"no local warehouse: set {WAREHOUSE_ENV} (the local workspace's notebook runner does) "
            "or pass warehouse_dir"
        )
    return Path(value)


def table_path(name: str, warehouse: str | os.PathLike | None = None) -> Path:
    schema, table = parse_table_name(name)
    return warehouse_dir(warehouse) / schema / table


def active_spark():
    """The notebook's SparkSession on Databricks, else None (pyspark is not installed locally)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


def read_table(
    name: str, warehouse: str | os.PathLike | None = None, spark=None, version: int | None = None
) -> pd.DataFrame:
    """The whole table (at Delta `version`, default the latest) as pandas with the bank-churn dtypes normalized."""
    return read_table_version(name, warehouse, spark, version)[0]


def read_table_version(
    name: str, warehouse: str | os.PathLike | None = None, spark=None, version: int | None = None
) -> tuple[pd.DataFrame, int | None]:
    """The table at Delta `version` (default: the latest) and the version read (None if it cannot be known)."""
    spark = spark if spark is not None else (active_spark() if warehouse is None else None)
    if spark is not None:
        if version is None:
            version = _spark_latest_version(spark, name)
        reader = spark.read if version is None else spark.read.option("versionAsOf", int(version))
        return normalize_dtypes(reader.table(name).toPandas()), version
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError as DeltaMissing

    path = table_path(name, warehouse)
    try:
        table = DeltaTable(str(path), version=version)
    except DeltaMissing as exc:
        raise TableNotFoundError(
            f"table {name!r} not found at {path}; seed it with `python -m churn.seed --data-dir <workspace data dir>`"
        ) from exc
    return normalize_dtypes(table.to_pandas()), table.version()


def _spark_latest_version(spark, name: str) -> int | None:
    try:
        latest = spark.sql(f"DESCRIBE HISTORY {name} LIMIT 1").collect()
    except Exception:  # noqa: BLE001 - not a Delta table: there is no version to record
        return None
    return int(latest[0]["version"]) if latest else None


def table_exists(name: str, warehouse: str | os.PathLike | None = None) -> bool:
    from deltalake import DeltaTable

    return DeltaTable.is_deltatable(str(table_path(name, warehouse)))


def write_table(
    frame: pd.DataFrame, name: str, warehouse: str | os.PathLike | None = None, mode: str = "error", spark=None
) -> Path | None:
    """Write `frame` as table `name` (mode: error | overwrite | append). Returns the local path, None on Spark."""
    if mode not in ("error", "overwrite", "append"):
        raise ValueError(f"mode must be 'error', 'overwrite' or 'append', got {mode!r}")
    spark = spark if spark is not None else (active_spark() if warehouse is None else None)
    if spark is not None:
        spark.createDataFrame(frame).write.mode(mode).saveAsTable(name)
        return None
    from deltalake import write_deltalake

    path = table_path(name, warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "append":  # schema_mode="merge": appending a column (snapshot_month) to an older table is fine
        write_deltalake(str(path), frame, mode="append", schema_mode="merge")
    elif mode == "overwrite":  # two overloads in deltalake's stubs: overwrite (which takes a predicate) and the rest
        write_deltalake(str(path), frame, mode="overwrite")
    else:
        write_deltalake(str(path), frame, mode="error")
    return path
