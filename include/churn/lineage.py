"""The exact data a model was trained on: which table, which Delta version, up to which month.

The retraining notebook reads the table at its latest version, keeps the months before `as_of`
(`churn.monthly.filter_as_of`) and records the three facts on the training run: `mlflow.log_input` (the dataset,
its digest and schema) and the `churn.data.*` tags. The candidate test rebuilds any version's training data from
those tags (Delta time travel + the same filter), on a real workspace as locally.
"""

from __future__ import annotations

import os
import warnings

import mlflow
import pandas as pd
from mlflow.data.pandas_dataset import from_pandas

from churn.monthly import filter_as_of, month_span, parse_as_of
from churn.schema import TARGET_COL
from churn.storage import read_table_version
from churn_contract.results import TrainingData

TAG_SOURCE_TABLE = "churn.data.source_table"
TAG_DELTA_VERSION = "churn.data.delta_version"
TAG_AS_OF = "churn.data.as_of"
TAG_MONTHS = "churn.data.months"
TAG_ROWS = "churn.data.rows"


def load_training_data(
    source_table: str,
    as_of: str = "",
    spark=None,
    warehouse: str | os.PathLike | None = None,
    version: int | None = None,
) -> tuple[pd.DataFrame, TrainingData]:
    """The rows of `source_table` (at Delta `version`, default the latest) whose month began before `as_of`."""
    as_of = parse_as_of(as_of)
    table, read_version = read_table_version(source_table, warehouse, spark, version)
    rows = filter_as_of(table, as_of)
    record = TrainingData(
        source_table=source_table, delta_version=read_version, as_of=as_of, months=month_span(rows), n_rows=len(rows)
    )
    return rows, record


def log_training_data(frame: pd.DataFrame, record: TrainingData, target_col: str = TARGET_COL) -> None:
    """`mlflow.log_input` + `churn.data.*` tags on the active run."""
    with warnings.catch_warnings():
        # A table name is not a path MLflow knows, and integer columns get a hint about nulls: both are expected.
        warnings.simplefilter("ignore")
        dataset = from_pandas(frame, source=record.source_table, name=record.dataset_name(), targets=target_col)
        mlflow.log_input(dataset, context="training")
    mlflow.set_tags(
        {
            TAG_SOURCE_TABLE: record.source_table,
            TAG_DELTA_VERSION: "" if record.delta_version is None else str(record.delta_version),
            TAG_AS_OF: record.as_of,
            TAG_MONTHS: "..".join(record.months),
            TAG_ROWS: str(record.n_rows),
        }
    )


def recorded_training_data(run_tags: dict[str, str]) -> TrainingData | None:
    """What a training run recorded (None for a run trained before records existed, or not by this notebook)."""
    table = run_tags.get(TAG_SOURCE_TABLE)
    if not table:
        return None
    version = run_tags.get(TAG_DELTA_VERSION, "")
    months = run_tags.get(TAG_MONTHS, "")
    return TrainingData(
        source_table=table,
        delta_version=int(version) if version.isdigit() else None,
        as_of=run_tags.get(TAG_AS_OF, ""),
        months=months.split("..") if months else [],
        n_rows=int(run_tags.get(TAG_ROWS) or 0),
    )


def training_data_of_version(client, model_version, spark=None, warehouse=None) -> tuple[pd.DataFrame | None, str]:
    """The training rows of a registered version, rebuilt from its run's record, and a label saying what they are.

    (None, reason) when the version has no record or the recorded table version cannot be read.
    """
    label = f"v{model_version.version}"
    try:
        record = recorded_training_data(client.get_run(model_version.run_id).data.tags)
    except Exception as exc:  # noqa: BLE001 - a version without a readable run has no record
        return None, f"{label} (run unreadable: {type(exc).__name__})"
    if record is None:
        return None, f"{label} (no training-data record)"
    try:
        frame, _ = load_training_data(record.source_table, record.as_of, spark, warehouse, record.delta_version)
    except Exception as exc:  # noqa: BLE001 - e.g. the Delta version was vacuumed
        return None, f"{label} ({record.describe()}: unreadable, {type(exc).__name__}: {exc})"
    return frame, f"{label}: {record.describe()}"
