"""The bank-churn table's schema: column order, dtypes and the model's 10 inputs (REFERENCE.md §2)."""

from __future__ import annotations

from churn_contract.options import DEFAULT_SOURCE_TABLE, DEFAULT_TARGET_COL

TABLE_NAME = DEFAULT_SOURCE_TABLE
TARGET_COL = DEFAULT_TARGET_COL
ID_COLUMNS = ("RowNumber", "CustomerId", "Surname")

# Column -> pandas dtype, in the public dataset's order.
TABLE_DTYPES: dict[str, str] = {
    "RowNumber": "int64",
    "CustomerId": "int64",
    "Surname": "object",
    "CreditScore": "int64",
    "Geography": "object",
    "Gender": "object",
    "Age": "int64",
    "Tenure": "int64",
    "Balance": "float64",
    "NumOfProducts": "int64",
    "HasCrCard": "int64",
    "IsActiveMember": "int64",
    "EstimatedSalary": "float64",
    "Exited": "int64",
}
TABLE_COLUMNS: tuple[str, ...] = tuple(TABLE_DTYPES)
# The month a row arrived in ("YYYY-MM", see churn.monthly): after the public columns, absent in older tables.
MONTH_COLUMN = "snapshot_month"

# The model's inputs: the 10 columns between Surname and Exited, with MLflow signature types.
FEATURE_TYPES: dict[str, str] = {
    "CreditScore": "long",
    "Geography": "string",
    "Gender": "string",
    "Age": "long",
    "Tenure": "long",
    "Balance": "double",
    "NumOfProducts": "long",
    "HasCrCard": "long",
    "IsActiveMember": "long",
    "EstimatedSalary": "double",
}
FEATURE_COLUMNS: tuple[str, ...] = tuple(FEATURE_TYPES)
CATEGORICAL_FEATURES = ("Geography", "Gender")
NUMERIC_FEATURES = tuple(c for c in FEATURE_COLUMNS if c not in CATEGORICAL_FEATURES)


def normalize_dtypes(df):
    """Return `df` with the table's dtypes (strings as `object`), whatever reader produced it.

    Delta/Arrow and pandas 3 hand strings back as `str`/Arrow dtypes; training and checking must see the same
    dtypes so that the logged signature matches what the test notebook feeds the model.
    """
    out = df.copy()
    for col, dtype in {**TABLE_DTYPES, MONTH_COLUMN: "object"}.items():
        if col not in out.columns:
            continue
        if dtype == "object":
            out[col] = out[col].astype(object)
        elif out[col].isna().any():
            # Nullable data (e.g. a drifted batch) keeps its nulls instead of failing the cast.
            out[col] = out[col].astype("Int64" if dtype == "int64" else "float64")
        else:
            out[col] = out[col].astype(dtype)
    return out
