"""Fixtures for the churn tests: a small generated table, a private sqlite MLflow, saved sklearn models."""

from __future__ import annotations

import pytest

from churn.data import generate_churn_data
from churn.schema import FEATURE_COLUMNS, TARGET_COL
from churn.split import split_table


@pytest.fixture(scope="session")
def churn_table():
    return generate_churn_data(4000, seed=7)


@pytest.fixture(scope="session")
def churn_split(churn_table):
    return split_table(churn_table)


@pytest.fixture(scope="session")
def _mlflow_db(tmp_path_factory):
    """One sqlite MLflow store per session: creating its schema costs seconds, so tests share it."""
    import mlflow

    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri).search_experiments()
    return uri


@pytest.fixture()
def local_mlflow(_mlflow_db, request):
    """MLflow tracking and registry in a private sqlite store (never the shared workspace); own experiment."""
    import mlflow

    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    mlflow.set_tracking_uri(_mlflow_db)
    mlflow.set_registry_uri(_mlflow_db)
    mlflow.set_experiment(f"churn-tests-{request.node.name}")
    yield _mlflow_db
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(previous[0])
    mlflow.set_registry_uri(previous[1])


# Explicit requirements: inferring them spawns a subprocess per saved model (seconds each).
PIP_REQUIREMENTS = ["scikit-learn", "lightgbm"]


def fit_pipeline(train, columns=FEATURE_COLUMNS, labels=None, estimator=None):
    """A fitted one-hot + estimator pipeline on `columns` (labels override the target, e.g. strings)."""
    from lightgbm import LGBMClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    cats = [c for c in ("Geography", "Gender") if c in columns]
    prep = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), cats),
            ("num", "passthrough", [c for c in columns if c not in cats]),
        ]
    )
    model = estimator or LGBMClassifier(n_estimators=60, learning_rate=0.1, verbose=-1, n_jobs=1)
    y = train[TARGET_COL] if labels is None else labels
    return Pipeline([("prep", prep), ("model", model)]).fit(train[list(columns)], y)


def save_pyfunc(pipeline, path, columns=FEATURE_COLUMNS, example=None, signature=True):
    """Save an sklearn pipeline as an MLflow model and load it back as pyfunc."""
    import mlflow
    from mlflow.models import infer_signature

    sig = infer_signature(example[list(columns)], pipeline.predict(example[list(columns)])) if signature else None
    mlflow.sklearn.save_model(
        pipeline, str(path), signature=sig, serialization_format="cloudpickle", pip_requirements=PIP_REQUIREMENTS
    )
    return mlflow.pyfunc.load_model(str(path))


@pytest.fixture(scope="session")
def good_pipeline(churn_split):
    return fit_pipeline(churn_split.train)


@pytest.fixture(scope="session")
def good_model(good_pipeline, churn_split, tmp_path_factory):
    return save_pyfunc(good_pipeline, tmp_path_factory.mktemp("models") / "good", example=churn_split.train.head(20))
