"""A model someone trained by hand on 9 of the 10 inputs (no Age) and registered with a signature: the candidate
checks must fail it (input_schema), in either registry."""

from __future__ import annotations


def register_model_without_age(name: str, registry_uri: str = "databricks") -> str:
    """Train and register it as a new version of `name` (`registry_uri`: databricks or databricks-uc)."""
    import mlflow
    from lightgbm import LGBMClassifier
    from mlflow.models import infer_signature
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from churn.data import generate_churn_data
    from churn.schema import FEATURE_COLUMNS

    table = generate_churn_data(2000, seed=5)
    columns = [c for c in FEATURE_COLUMNS if c != "Age"]
    prep = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), ["Geography", "Gender"])], remainder="passthrough"
    )
    model = Pipeline([("prep", prep), ("model", LGBMClassifier(n_estimators=30, verbose=-1, n_jobs=1))])
    model.fit(table[columns], table["Exited"])
    mlflow.set_tracking_uri("databricks")
    mlflow.set_registry_uri(registry_uri)
    mlflow.set_experiment("/Shared/churn_e2e_by_hand")
    try:
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                signature=infer_signature(table[columns], model.predict(table[columns])),
                registered_model_name=name,
                pip_requirements=["scikit-learn", "lightgbm"],
                serialization_format="cloudpickle",
            )
    finally:
        mlflow.set_registry_uri("databricks")
    return str(info.registered_model_version)
