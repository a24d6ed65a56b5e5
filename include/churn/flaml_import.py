"""Import FLAML's AutoML without xgboost.

flaml 2.8.0 does `from xgboost import __version__` at module level in `flaml.automl.model` even though the
project only uses its LightGBM / scikit-learn estimators (and installs `flaml` + `lightgbm`, not `flaml[automl]`,
whose xgboost wheel drags in ~200 MB of CUDA libraries). When xgboost is missing we satisfy that one import with a
placeholder module for the duration of the import (with stand-in XGB* classes that
raise if ever instantiated) and remove it again, so nothing else (e.g. MLflow's evaluator,
which probes `mlflow.xgboost`) ever sees a fake xgboost. Never put "xgboost" in the estimator list.
"""

from __future__ import annotations

import importlib.util
import sys
import types


class _XGBoostMissing:
    def __init__(self, *args, **kwargs):
        raise ImportError("xgboost is not installed: use the lgbm / rf / extra_tree estimators")

    # flaml.default wraps these methods when it builds its subclasses at import time.
    def fit(self, *args, **kwargs):
        raise ImportError("xgboost is not installed")

    predict = predict_proba = fit


def import_automl():
    """Return the `flaml.automl.AutoML` class."""
    if "flaml.automl.automl" in sys.modules or importlib.util.find_spec("xgboost") is not None:
        from flaml.automl.automl import AutoML  # noqa: PLC0415

        return AutoML
    placeholder = types.ModuleType("xgboost")
    placeholder.__version__ = "0.0"  # only read by flaml for xgboost-estimator code paths we never use
    # flaml.default subclasses these at import time; using them fails loudly.
    placeholder.XGBRegressor = type("XGBRegressor", (_XGBoostMissing,), {"__doc__": "xgboost is not installed."})
    placeholder.XGBClassifier = type("XGBClassifier", (_XGBoostMissing,), {"__doc__": "xgboost is not installed."})
    sys.modules["xgboost"] = placeholder
    try:
        from flaml.automl.automl import AutoML  # noqa: PLC0415
    finally:
        if sys.modules.get("xgboost") is placeholder:
            del sys.modules["xgboost"]
    return AutoML
