"""Notebook widgets: names, documented defaults, and parsing into typed settings with precise errors.

The check thresholds, the test mode, the model name and the metric choices come from `churn_contract.options`
(the promotion DAG's params are generated from the same definitions). The notebooks declare their widgets inline,
as literal calls a Databricks user sees at the top; `tests/churn/test_contract_agreement.py` keeps those calls
equal to `RETRAIN_WIDGETS` / `TEST_WIDGETS` / `WIDGET_CHOICES` here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from churn.monthly import parse_as_of
from churn.storage import parse_table_name
from churn.training import TrainingConfig
from churn_contract.options import (
    DEFAULT_MODEL_NAME,
    DEFAULT_PRIMARY_METRIC,
    DEFAULT_SOURCE_TABLE,
    DEFAULT_TARGET_COL,
    PRIMARY_METRICS,
    TEST_MODES,
    CandidateTestOptions,
    option_choices,
    widget_default,
)
from churn_contract.unity_catalog import (
    DEFAULT_REGISTRY_MODE,
    REGISTRY_MODES,
    REGISTRY_URIS,
    RegistryMode,
    is_three_level_name,
    parse_registry_mode,
)

# Direct children of /Shared: Databricks creates them without needing a parent folder; locally any name works.
RETRAIN_EXPERIMENT = "/Shared/churn_model_retraining"
TEST_EXPERIMENT = "/Shared/churn_model_candidate_tests"
REGISTRY_WIDGET = ("databricks", "MLflow registry URI (databricks = Workspace Model Registry)")
REGISTRY_MODE_WIDGET = (DEFAULT_REGISTRY_MODE, "Registry: workspace (Workspace Model Registry) or uc (Unity Catalog)")

# widget -> (default, label), in the order the notebook declares them.
RETRAIN_WIDGETS: dict[str, tuple[str, str]] = {
    "model_name": (DEFAULT_MODEL_NAME, "Registered model name"),
    "source_table": (DEFAULT_SOURCE_TABLE, "Training table (schema.table)"),
    "target_col": (DEFAULT_TARGET_COL, "Label column"),
    "primary_metric": (DEFAULT_PRIMARY_METRIC, "AutoML primary metric"),
    "timeout_minutes": ("0.25", "AutoML time budget (minutes; Databricks AutoML uses at least 5)"),
    "registry": REGISTRY_MODE_WIDGET,
    "registry_uri": REGISTRY_WIDGET,
    "experiment_name": (RETRAIN_EXPERIMENT, "MLflow experiment (workspace path; empty = the notebook's own)"),
    "as_of": ("", "Train on the months that began before this date (YYYY-MM-DD; empty = all rows)"),
}
TEST_WIDGETS: dict[str, tuple[str, str]] = {
    "event_message": ("", "Registry webhook payload (JSON)"),
    **{name: (widget_default(name), str(field.title)) for name, field in CandidateTestOptions.model_fields.items()},
    "source_table": (DEFAULT_SOURCE_TABLE, "Table whose holdout split is the test data"),
    "target_col": (DEFAULT_TARGET_COL, "Label column"),
    "registry_uri": REGISTRY_WIDGET,
    "experiment_name": (TEST_EXPERIMENT, "MLflow experiment for evaluation runs (empty = the notebook's own)"),
}
MODES = TEST_MODES
# Widgets shown as dropdowns (Databricks validates the choice in its UI).
WIDGET_CHOICES: dict[str, list[str]] = {
    "mode": list(option_choices("mode") or ()),
    "primary_metric": list(PRIMARY_METRICS),
    "registry": list(REGISTRY_MODES),
}


class SettingsError(ValueError):
    """A widget value is unusable; the message names the widget."""


def _number(get: Callable[[str], str], name: str, low: float, high: float | None = None) -> float:
    raw = get(name)
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise SettingsError(f"widget {name} must be a number, got {raw!r}") from None
    if not (value >= low and (high is None or value <= high)) or value != value:
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise SettingsError(f"widget {name} must be in {bound}, got {raw!r}")
    return value


def _text(get: Callable[[str], str], name: str) -> str:
    value = str(get(name) or "").strip()
    if not value:
        raise SettingsError(f"widget {name} must not be empty")
    return value


def _table(get: Callable[[str], str], name: str) -> str:
    value = _text(get, name)
    try:
        parse_table_name(value)
    except ValueError as exc:
        raise SettingsError(f"widget {name}: {exc}") from None
    return value


def _options_error(exc: ValidationError, raw: dict[str, Any]) -> SettingsError:
    """The first bad option in the words a widget user needs: which widget, what it accepts, what it got."""
    error = exc.errors(include_url=False)[0]
    name = str(error["loc"][0])
    got = raw.get(name)
    if error["type"] == "literal_error":
        return SettingsError(f"widget {name} must be one of {list(option_choices(name) or ())}, got {got!r}")
    if error["type"] in ("float_parsing", "float_type"):
        return SettingsError(f"widget {name} must be a number, got {got!r}")
    schema = CandidateTestOptions.model_json_schema()["properties"][name]
    if "exclusiveMinimum" in schema:
        bound = f"> {schema['exclusiveMinimum']}"
    else:
        bound = f"[{schema.get('minimum')}, {schema.get('maximum')}]"
    return SettingsError(f"widget {name} must be in {bound}, got {got!r}")


@dataclass(frozen=True)
class RetrainSettings:
    training: TrainingConfig
    source_table: str
    registry_uri: str  # the URI to register with: `registry_uri_for(registry, widget registry_uri)`
    experiment_name: str
    as_of: str = ""  # ISO date or "" (all rows)
    registry: RegistryMode = DEFAULT_REGISTRY_MODE

    @classmethod
    def from_widgets(cls, get: Callable[[str], str]) -> RetrainSettings:
        metric = _text(get, "primary_metric")
        if metric not in PRIMARY_METRICS:
            raise SettingsError(f"widget primary_metric must be one of {list(PRIMARY_METRICS)}, got {metric!r}")
        minutes = _number(get, "timeout_minutes", 0.05, 24 * 60)
        registry = _registry_mode(get)
        model_name = _text(get, "model_name")
        if registry == "uc" and not is_three_level_name(model_name):
            raise SettingsError(
                f"widget model_name must be a Unity Catalog name catalog.schema.model when registry is uc, "
                f"got {model_name!r}"
            )
        return cls(
            training=TrainingConfig(
                model_name=model_name,
                target_col=_text(get, "target_col"),
                primary_metric=metric,
                timeout_minutes=minutes,
                registry=registry,
            ),
            source_table=_table(get, "source_table"),
            registry_uri=registry_uri_for(registry, _text(get, "registry_uri")),
            experiment_name=str(get("experiment_name") or "").strip(),
            as_of=_as_of(get),
            registry=registry,
        )


def _registry_mode(get: Callable[[str], str]) -> RegistryMode:
    try:
        return parse_registry_mode(get("registry"), "widget registry")
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def registry_uri_for(registry: str, configured: str) -> str:
    """The MLflow registry URI for `registry`: on Databricks `databricks` (workspace) or `databricks-uc` (Unity
    Catalog), whichever of the two is configured; any other URI (a local MLflow in tests) serves both modes."""
    if configured in REGISTRY_URIS.values():
        return REGISTRY_URIS[registry]
    return configured


def _as_of(get: Callable[[str], str]) -> str:
    try:
        return parse_as_of(get("as_of"))
    except ValueError as exc:
        raise SettingsError(f"widget {exc}") from None


class CandidateTestSettings(CandidateTestOptions):
    """The test notebook's settings: the shared thresholds and mode, plus where the data and the registry are."""

    source_table: str = DEFAULT_SOURCE_TABLE
    target_col: str = DEFAULT_TARGET_COL
    registry_uri: str = "databricks"
    experiment_name: str = TEST_EXPERIMENT

    @classmethod
    def from_widgets(cls, get: Callable[[str], str]) -> CandidateTestSettings:
        raw = {name: str(get(name)).strip() for name in CandidateTestOptions.model_fields}
        try:
            options = CandidateTestOptions.model_validate(raw)
        except ValidationError as exc:
            raise _options_error(exc, raw) from None
        return cls(
            **options.model_dump(),
            source_table=_table(get, "source_table"),
            target_col=_text(get, "target_col"),
            registry_uri=_text(get, "registry_uri"),
            experiment_name=str(get("experiment_name") or "").strip(),
        )
